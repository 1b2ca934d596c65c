// Opening hours in the signed bundle's policy (key `hours`, present only when hours are set):
//   { timeZone: text, weekly: [7 × [[from, to], …]], holidays: [text], sites: [named], scopes: [named] }
// with named = { name: text, weekly, holidays }. Weekly lists run Monday to Sunday; minutes as unsigned integers.
// One set of hours has one encoding: the decoder wants ranges, holidays and names in ascending order.
import { WEEKDAYS } from '../types.js';
import type { NamedSchedule, OpeningHours, Schedule, TimeRange, Weekday } from '../types.js';
import type { Cbor } from '../internal/cbor.js';
import { bad, expectMap, list, uint } from '../internal/document.js';
import { checkHours, MAX_HOURS_HOLIDAYS, MAX_HOURS_OVERRIDES, MAX_HOURS_RANGES_PER_DAY } from './check.js';

function encodeSchedule(s: Schedule): [string, unknown][] {
  return [
    ['weekly', WEEKDAYS.map((d) => s.weekly[d].map((r) => [r.from, r.to]))],
    ['holidays', [...s.holidays]],
  ];
}

/** The CBOR map of hours (a Map with text keys, for the canonical encoder). */
export function encodeHours(h: OpeningHours): Map<string, unknown> {
  const named = (l: readonly NamedSchedule[]): Map<string, unknown>[] =>
    l.map((s) => new Map<string, unknown>([['name', s.name], ...encodeSchedule(s)]));
  return new Map<string, unknown>([
    ['timeZone', h.timeZone],
    ...encodeSchedule(h),
    ['sites', named(h.sites)],
    ['scopes', named(h.scopes)],
  ]);
}

function decodeSchedule(map: ReadonlyMap<Cbor, Cbor>, what: string): Schedule {
  const days = list(map, 'weekly', WEEKDAYS.length, what);
  if (days.length !== WEEKDAYS.length) bad(`${what}.weekly: seven days`);
  const weekly = {} as Record<Weekday, readonly TimeRange[]>;
  WEEKDAYS.forEach((d, i) => {
    const day = days[i];
    if (!Array.isArray(day) || day.length > MAX_HOURS_RANGES_PER_DAY) bad(`${what}.weekly.${d}: not a list of ranges`);
    weekly[d] = Object.freeze(
      (day as readonly Cbor[]).map((r) => {
        if (!Array.isArray(r) || r.length !== 2) bad(`${what}.weekly.${d}: a range is not [from, to]`);
        const pair = new Map<Cbor, Cbor>([
          ['from', (r as readonly Cbor[])[0] as Cbor],
          ['to', (r as readonly Cbor[])[1] as Cbor],
        ]);
        return Object.freeze({ from: uint(pair, 'from', what), to: uint(pair, 'to', what) });
      }),
    );
  });
  const holidays = list(map, 'holidays', MAX_HOURS_HOLIDAYS, what);
  if (holidays.some((x) => typeof x !== 'string')) bad(`${what}.holidays: not dates`);
  return { weekly: Object.freeze(weekly), holidays: Object.freeze(holidays as string[]) };
}

function decodeNamed(map: ReadonlyMap<Cbor, Cbor>, key: string): readonly NamedSchedule[] {
  return Object.freeze(
    list(map, key, MAX_HOURS_OVERRIDES, 'policy.hours').map((v) => {
      const m = expectMap(v, ['name', 'weekly', 'holidays'], `policy.hours.${key}[]`);
      const name = m.get('name');
      if (typeof name !== 'string') bad(`policy.hours.${key}[].name: not text`);
      return Object.freeze({ name, ...decodeSchedule(m, `policy.hours.${key}[]`) });
    }),
  );
}

/** Decode and check the hours of a bundle's policy; any problem is BAD_CLAIMS naming the first one's path. */
export function decodeHours(v: Cbor | undefined): OpeningHours {
  const map = expectMap(v, ['timeZone', 'weekly', 'holidays', 'sites', 'scopes'], 'policy.hours');
  const timeZone = map.get('timeZone');
  if (typeof timeZone !== 'string') bad('policy.hours.timeZone: not text');
  const hours: OpeningHours = Object.freeze({
    timeZone,
    ...decodeSchedule(map, 'policy.hours'),
    sites: decodeNamed(map, 'sites'),
    scopes: decodeNamed(map, 'scopes'),
  });
  const problems = checkHours(hours, true);
  const first = problems[0];
  if (first) bad(`policy.hours.${first.path}: ${first.code}`);
  return hours;
}
