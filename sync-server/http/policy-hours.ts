// The policy as the admin API shows it (opening hours in their written form) and the check of hours sent to it.
import { hoursToJson, parseHoursJson } from '../../protocol/index.js';
import type { OpeningHours, OpeningHoursJson, Policy } from '../../protocol/index.js';
import { HttpError } from './errors.js';
import type { Services } from './env.js';

/** At most this many problems are named in one answer's detail. */
const MAX_NAMED_PROBLEMS = 8;

export interface PolicyView {
  readonly actions: Policy['actions'];
  readonly maxOfflineAgeSeconds: number;
  readonly sunset: number;
  /** null: no opening hours (always open). */
  readonly hours: OpeningHoursJson | null;
  readonly bundleVersion: number;
}

export function policyView(s: Services): PolicyView {
  const p = s.core.trust.policy();
  return {
    actions: p.actions,
    maxOfflineAgeSeconds: p.maxOfflineAgeSeconds,
    sunset: p.sunset,
    hours: p.hours ? hoursToJson(p.hours) : null,
    bundleVersion: s.core.trust.current().version,
  };
}

/**
 * Hours sent by an administrator: null removes them; anything else must read as hours, else 400
 * VALIDATION_FAILED with detail `hours:CODE@path,CODE@path,…` (codes from protocol/hours/check.ts, never the value).
 */
export function readHours(v: unknown): OpeningHours | null {
  if (v === null) return null;
  const r = parseHoursJson(v);
  if (!('problems' in r)) return r.hours;
  const named = r.problems.slice(0, MAX_NAMED_PROBLEMS).map((p) => `${p.code}@${p.path}`);
  throw new HttpError('VALIDATION_FAILED', { detail: `hours:${named.join(',')}` });
}
