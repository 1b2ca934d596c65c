// Opening hours: the rules every schedule obeys, wherever it came from (an administrator's JSON, a signed bundle).
// One checker returns every problem at once, each with a stable code, the path of the field and a hint at the fix;
// it never echoes the input. The JSON reader and the bundle decoder both end here, so both refuse the same things.
import { WEEKDAYS } from '../types.js';
import type { NamedSchedule, OpeningHours, Schedule, TimeRange } from '../types.js';
import { NAME_PATTERN } from '../internal/names.js';

export const MAX_HOURS_RANGES_PER_DAY = 8;
export const MAX_HOURS_HOLIDAYS = 64;
export const MAX_HOURS_OVERRIDES = 16;
export const MAX_TIME_ZONE_CHARS = 64;
export const MINUTES_PER_DAY = 1440;

export const HOURS_PROBLEMS = [
  'SHAPE', // not the expected type, an unknown field or a missing one
  'TIME_ZONE', // not an IANA time zone this runtime knows
  'TIME', // not HH:MM (00:00–24:00; 24:00 only as an end)
  'EMPTY_RANGE', // start and end are the same minute
  'OVERLAP', // two ranges of one day overlap
  'ORDER', // ranges, holidays or names not in ascending order (signed form only)
  'DATE', // not a real YYYY-MM-DD date
  'DUPLICATE', // the same holiday or name twice
  'NAME', // a site or scope name that no pass or gate could carry
  'TOO_MANY', // more entries than the format allows
] as const;
export type HoursProblemCode = (typeof HOURS_PROBLEMS)[number];

export interface HoursProblem {
  readonly code: HoursProblemCode;
  /** Where, e.g. `weekly.mon[1]` or `sites[0].holidays[2]`; never the value itself. */
  readonly path: string;
  readonly hint: string;
}

const HINTS: Readonly<Record<HoursProblemCode, string>> = {
  SHAPE: 'an unknown, missing or mistyped field: see docs/protocol.md (opening hours) for the fields',
  TIME_ZONE: 'use an IANA name such as Europe/Berlin or UTC',
  TIME: 'write ranges as HH:MM-HH:MM, e.g. 08:00-18:00 or 22:00-06:00 overnight; 24:00 only as an end',
  EMPTY_RANGE: 'a range needs a start and a different end; 00:00-24:00 is the whole day',
  OVERLAP: 'merge the overlapping ranges of that day into one',
  ORDER: 'list ranges by start time, holidays and names in ascending order',
  DATE: 'write holidays as YYYY-MM-DD',
  DUPLICATE: 'list each holiday and each site or scope once',
  NAME: '1-32 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit',
  TOO_MANY: `at most ${MAX_HOURS_RANGES_PER_DAY} ranges a day, ${MAX_HOURS_HOLIDAYS} holidays and ${MAX_HOURS_OVERRIDES} sites or scopes`,
};

export function hoursHint(code: HoursProblemCode): string {
  return HINTS[code];
}

export function problem(code: HoursProblemCode, path: string): HoursProblem {
  return { code, path, hint: HINTS[code] };
}

const zoneChecked = new Map<string, boolean>();

/** Whether this runtime's Intl knows the zone (Node 20 ships full ICU). */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > MAX_TIME_ZONE_CHARS || !/^[A-Za-z0-9_+\-/]+$/.test(zone)) return false;
  let ok = zoneChecked.get(zone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      ok = true;
    } catch {
      ok = false;
    }
    if (zoneChecked.size < 1024) zoneChecked.set(zone, ok);
  }
  return ok;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date written YYYY-MM-DD (years 2000–2999). */
export function isIsoDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 2000 || y > 2999) return false;
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** End of a range within its own day: an overnight range fills the day to midnight. */
function endInDay(r: TimeRange): number {
  return r.to > r.from ? r.to : MINUTES_PER_DAY;
}

function checkDay(ranges: readonly TimeRange[], path: string, out: HoursProblem[], strictOrder: boolean): void {
  if (ranges.length > MAX_HOURS_RANGES_PER_DAY) out.push(problem('TOO_MANY', path));
  ranges.forEach((r, i) => {
    const okFrom = Number.isInteger(r.from) && r.from >= 0 && r.from < MINUTES_PER_DAY;
    const okTo = Number.isInteger(r.to) && r.to >= 1 && r.to <= MINUTES_PER_DAY;
    if (r.from === r.to) out.push(problem('EMPTY_RANGE', `${path}[${i}]`));
    else if (!okFrom || !okTo) out.push(problem('TIME', `${path}[${i}]`));
  });
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as TimeRange;
    const cur = sorted[i] as TimeRange;
    if (cur.from < endInDay(prev)) {
      out.push(problem('OVERLAP', path));
      break;
    }
  }
  if (strictOrder && sorted.some((r, i) => r !== ranges[i])) out.push(problem('ORDER', path));
}

function checkSchedule(s: Schedule, path: string, out: HoursProblem[], strictOrder: boolean): void {
  for (const day of WEEKDAYS) checkDay(s.weekly[day], `${path}weekly.${day}`, out, strictOrder);
  if (s.holidays.length > MAX_HOURS_HOLIDAYS) out.push(problem('TOO_MANY', `${path}holidays`));
  s.holidays.forEach((d, i) => {
    if (!isIsoDate(d)) out.push(problem('DATE', `${path}holidays[${i}]`));
  });
  checkUnique(s.holidays, `${path}holidays`, out, strictOrder);
}

function checkUnique(items: readonly string[], path: string, out: HoursProblem[], strictOrder: boolean): void {
  if (new Set(items).size !== items.length) out.push(problem('DUPLICATE', path));
  else if (strictOrder && items.some((v, i) => i > 0 && (items[i - 1] as string) > v)) out.push(problem('ORDER', path));
}

function checkNamed(list: readonly NamedSchedule[], path: string, out: HoursProblem[], strictOrder: boolean): void {
  if (list.length > MAX_HOURS_OVERRIDES) out.push(problem('TOO_MANY', path));
  list.forEach((s, i) => {
    if (!NAME_PATTERN.test(s.name)) out.push(problem('NAME', `${path}[${i}].name`));
    checkSchedule(s, `${path}[${i}].`, out, strictOrder);
  });
  checkUnique(
    list.map((s) => s.name),
    path,
    out,
    strictOrder,
  );
}

/**
 * Every problem of a schedule set, or none. `strictOrder` (the signed form) also wants ranges, holidays and names in
 * ascending order, so that one set of hours has exactly one encoding.
 */
export function checkHours(h: OpeningHours, strictOrder: boolean): HoursProblem[] {
  const out: HoursProblem[] = [];
  if (!isTimeZone(h.timeZone)) out.push(problem('TIME_ZONE', 'timeZone'));
  checkSchedule(h, '', out, strictOrder);
  checkNamed(h.sites, 'sites', out, strictOrder);
  checkNamed(h.scopes, 'scopes', out, strictOrder);
  return out;
}
