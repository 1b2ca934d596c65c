// Whether opening hours allow a passage at a moment. Local time comes from Intl in the hours' own IANA zone, so
// daylight-saving changes follow the zone's rules: on a spring-forward day the skipped hour never occurs (a range
// ending inside it ends when the clock jumps), on a fall-back day the repeated hour is inside a range both times.
import { WEEKDAYS } from '../types.js';
import type { OpeningHours, Scope, Schedule } from '../types.js';

/** A moment as the wall clock of a zone shows it. */
export interface LocalTime {
  /** YYYY-MM-DD. */
  readonly date: string;
  /** 0 = Monday … 6 = Sunday. */
  readonly weekday: number;
  /** Minutes since local midnight, 0–1439. */
  readonly minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    if (formatters.size < 64) formatters.set(timeZone, f);
  }
  return f;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function dayFromUtc(t: Date): { date: string; weekday: number } {
  const date = `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  return { date, weekday: (t.getUTCDay() + 6) % 7 };
}

/** The wall clock of `timeZone` at epoch second `at`. */
export function localTime(at: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at * 1000))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0 } = parts;
  return { ...dayFromUtc(new Date(Date.UTC(year, month - 1, day))), minute: hour * 60 + minute };
}

/** The calendar day before a YYYY-MM-DD date, with its weekday. */
function dayBefore(date: string): { date: string; weekday: number } {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return dayFromUtc(new Date(Date.UTC(y, m - 1, d - 1)));
}

/**
 * Whether a schedule is open at a local time. A range belongs to the day it starts on: a holiday closes every range
 * that starts on that date, including the part of an overnight range that runs into the next morning, and leaves
 * alone the morning part of a range that started the evening before.
 */
export function scheduleOpenAt(s: Schedule, t: LocalTime): boolean {
  if (!s.holidays.includes(t.date)) {
    for (const r of s.weekly[WEEKDAYS[t.weekday] ?? 'mon']) {
      if (r.to > r.from ? t.minute >= r.from && t.minute < r.to : t.minute >= r.from) return true;
    }
  }
  const prev = dayBefore(t.date);
  if (s.holidays.includes(prev.date)) return false;
  for (const r of s.weekly[WEEKDAYS[prev.weekday] ?? 'mon']) {
    if (r.to <= r.from && t.minute < r.to) return true;
  }
  return false;
}

/**
 * The schedules that apply to a pass at a gate: those of the pass's scope entries that have one; else the gate's
 * site's; else the default.
 */
export function schedulesFor(hours: OpeningHours, site: string, scope: Scope): readonly Schedule[] {
  if (scope !== 'all') {
    const own = hours.scopes.filter((s) => scope.includes(s.name));
    if (own.length > 0) return own;
  }
  return [hours.sites.find((s) => s.name === site) ?? hours];
}

/** Whether the hours let a pass with `scope` through a gate at `site` at epoch second `at` (any schedule open). */
export function hoursOpenAt(hours: OpeningHours, at: number, site: string, scope: Scope): boolean {
  const t = localTime(at, hours.timeZone);
  return schedulesFor(hours, site, scope).some((s) => scheduleOpenAt(s, t));
}
