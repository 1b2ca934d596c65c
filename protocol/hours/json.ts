// Opening hours as people write them (the admin API, `gatecode admin policy --hours FILE`, the admin page):
//   { "timeZone": "Europe/Berlin",
//     "weekly": { "mon": ["08:00-18:00"], "fri": ["08:00-12:00", "22:00-06:00"] },   missing days: closed
//     "holidays": ["2026-12-25"],
//     "sites": { "north": { "weekly": { … }, "holidays": [ … ] } },
//     "scopes": { "staff": { "weekly": { "mon": ["00:00-24:00"], … } } } }
// Ranges may come in any order (they are sorted); every problem is reported at once with a code, path and hint.
import { WEEKDAYS } from '../types.js';
import type { NamedSchedule, OpeningHours, Schedule, TimeRange, Weekday } from '../types.js';
import { checkHours, MINUTES_PER_DAY, problem } from './check.js';
import type { HoursProblem } from './check.js';

export type HoursJsonDay = readonly string[];
export interface ScheduleJson {
  readonly weekly: Readonly<Partial<Record<Weekday, HoursJsonDay>>>;
  readonly holidays?: readonly string[];
}
export interface OpeningHoursJson extends ScheduleJson {
  readonly timeZone: string;
  readonly sites?: Readonly<Record<string, ScheduleJson>>;
  readonly scopes?: Readonly<Record<string, ScheduleJson>>;
}

export type HoursParse =
  { readonly ok: true; readonly hours: OpeningHours } | { readonly ok: false; readonly problems: HoursProblem[] };

const TIME = /^([01]\d|2[0-4]):([0-5]\d)$/;

function minutes(text: string): number | null {
  const m = TIME.exec(text);
  if (!m) return null;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return v > MINUTES_PER_DAY ? null : v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An unknown field is named by where it is, not by its name (problems never echo input). */
function onlyKeys(v: Record<string, unknown>, keys: readonly string[], path: string, out: HoursProblem[]): void {
  if (Object.keys(v).some((k) => !keys.includes(k))) out.push(problem('SHAPE', path || 'hours'));
}

function readRange(v: unknown, path: string, out: HoursProblem[]): TimeRange | null {
  if (typeof v !== 'string') {
    out.push(problem('TIME', path));
    return null;
  }
  const parts = v.split('-');
  const from = parts.length === 2 ? minutes(parts[0] as string) : null;
  let to = parts.length === 2 ? minutes(parts[1] as string) : null;
  if (from === null || to === null || from === MINUTES_PER_DAY) {
    out.push(problem('TIME', path));
    return null;
  }
  // An end of 00:00 is midnight (22:00-00:00 runs to the end of the day); 00:00-00:00 stays empty.
  if (to === 0 && from > 0) to = MINUTES_PER_DAY;
  if (from === to) {
    out.push(problem('EMPTY_RANGE', path)); // reported here, so that the path counts as the input was written
    return null;
  }
  return { from, to };
}

function readSchedule(v: unknown, path: string, out: HoursProblem[], extra: readonly string[]): Schedule {
  const weekly = {} as Record<Weekday, TimeRange[]>;
  for (const d of WEEKDAYS) weekly[d] = [];
  if (!isObject(v)) {
    out.push(problem('SHAPE', path || 'hours'));
    return { weekly, holidays: [] };
  }
  onlyKeys(v, ['weekly', 'holidays', ...extra], path, out);
  const p = path ? `${path}.` : '';
  const w = v['weekly'];
  if (!isObject(w)) out.push(problem('SHAPE', `${p}weekly`));
  else {
    onlyKeys(w, WEEKDAYS, `${p}weekly`, out);
    for (const d of WEEKDAYS) {
      const day = w[d];
      if (day === undefined) continue;
      if (!Array.isArray(day)) {
        out.push(problem('SHAPE', `${p}weekly.${d}`));
        continue;
      }
      const ranges = day.map((r: unknown, i) => readRange(r, `${p}weekly.${d}[${i}]`, out));
      weekly[d] = ranges.filter((r): r is TimeRange => r !== null).sort((a, b) => a.from - b.from);
    }
  }
  const h = v['holidays'] ?? [];
  let holidays: string[] = [];
  if (!Array.isArray(h) || h.some((x) => typeof x !== 'string')) out.push(problem('SHAPE', `${p}holidays`));
  else holidays = [...(h as string[])].sort();
  return { weekly, holidays };
}

function readNamed(v: unknown, path: string, out: HoursProblem[]): NamedSchedule[] {
  if (v === undefined) return [];
  if (!isObject(v)) {
    out.push(problem('SHAPE', path));
    return [];
  }
  return Object.keys(v)
    .sort()
    .map((name, i) => ({ name, ...readSchedule(v[name], `${path}[${i}]`, out, []) }));
}

/** Read and check hours written by a person; the result is in the canonical (signed) order. */
export function parseHoursJson(v: unknown): HoursParse {
  const out: HoursProblem[] = [];
  const base = readSchedule(v, '', out, ['timeZone', 'sites', 'scopes']);
  const o = isObject(v) ? v : {};
  const timeZone = typeof o['timeZone'] === 'string' ? o['timeZone'] : '';
  const hours: OpeningHours = {
    timeZone,
    ...base,
    sites: readNamed(o['sites'], 'sites', out),
    scopes: readNamed(o['scopes'], 'scopes', out),
  };
  out.push(...checkHours(hours, false));
  return out.length > 0 ? { ok: false, problems: out } : { ok: true, hours };
}

function hhmm(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function scheduleJson(s: Schedule): ScheduleJson {
  const weekly: Partial<Record<Weekday, string[]>> = {};
  for (const d of WEEKDAYS) weekly[d] = s.weekly[d].map((r) => `${hhmm(r.from)}-${hhmm(r.to)}`);
  return { weekly, holidays: [...s.holidays] };
}

/** The written form of hours (every weekday listed, empty when closed). */
export function hoursToJson(h: OpeningHours): OpeningHoursJson {
  const named = (list: readonly NamedSchedule[]): Record<string, ScheduleJson> =>
    Object.fromEntries(list.map((s) => [s.name, scheduleJson(s)]));
  return { timeZone: h.timeZone, ...scheduleJson(h), sites: named(h.sites), scopes: named(h.scopes) };
}
