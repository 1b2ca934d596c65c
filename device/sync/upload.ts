// What leaves the device: event batches reduced to what the policy allows, each with an idempotency key derived
// from the batch's events, so a batch re-sent after a lost answer is a no-op on the server.
// Never uploaded: pass ids, pass texts, claims. Keyed pass hashes only when `uploadPassHashes` is set.
import { createHash } from 'node:crypto';
import type { UploadableEvent } from './types.js';

export interface UploadPolicy {
  /**
   * Send each event's keyed pass hash (HMAC with this device's secret: stable per pass on this device, useless
   * elsewhere). Off by default: the server then learns colours, reasons and times, nothing per person.
   */
  readonly uploadPassHashes: boolean;
}

/** The wire form of one event. */
export interface WireEvent {
  readonly at: number;
  readonly colour: string;
  readonly reason: string;
  readonly passHash: string | null;
  readonly direction: 'in' | 'out' | null;
  readonly opened: boolean;
  readonly notPassed: boolean;
}

/** The reason codes the server accepts: upper-case words with digits, `_` and `:` (e.g. `denied:REVOKED` is a counter, not a reason). */
const REASON_RE = /^[A-Z][A-Z0-9_:]{0,47}$/;

/** Reduce a stored event to its wire form. Only whitelisted fields are copied; nothing else can leak. */
export function toWireEvent(e: UploadableEvent, policy: UploadPolicy): WireEvent {
  return {
    at: Math.floor(e.at),
    colour: e.colour,
    reason: REASON_RE.test(e.reason) ? e.reason : 'OTHER',
    passHash:
      policy.uploadPassHashes && e.passHash !== null && /^[0-9a-f]{16,128}$/.test(e.passHash) ? e.passHash : null,
    direction: e.direction === 'in' || e.direction === 'out' ? e.direction : null,
    opened: e.opened === true,
    notPassed: e.passed === false,
  };
}

/**
 * The Idempotency-Key of a batch: a hash of the device id and the batch exactly as it goes on the wire (each
 * event's local id and every field sent). The same events in the same state always give the same key, so a replay
 * after a lost answer is recognised; an event sent again after a change (a grant annulled, the upload policy
 * changed) gives a new key instead of a conflict.
 */
export function idempotencyKey(deviceId: string, events: readonly UploadableEvent[], policy: UploadPolicy): string {
  const h = createHash('sha256');
  h.update(`gatecode-events-v1\n${deviceId}\n`);
  for (const e of events) h.update(`${e.id}\t${JSON.stringify(toWireEvent(e, policy))}\n`);
  return 'ev1-' + h.digest('base64url');
}
