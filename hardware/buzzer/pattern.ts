// Buzzer patterns as data: a pattern is a list of steps [hz, ms] (hz 0 is a rest). Pure functions only: the
// patterns, their timeline, the PWM period and duty cycle for a pitch and a volume, and quiet-hour ranges.
// Patterns differ in rhythm, not only in pitch, so an active buzzer (one fixed pitch) keeps them apart too.

export const BUZZER_PATTERNS = ['green', 'attention', 'red', 'alarm', 'fire'] as const;
export type BuzzerPatternName = (typeof BUZZER_PATTERNS)[number];

/** One step: a tone at `hz` (0: silence) for `ms` milliseconds. */
export type BuzzerStep = readonly [hz: number, ms: number];
export type BuzzerPattern = readonly BuzzerStep[];

export const PATTERNS: Readonly<Record<BuzzerPatternName, BuzzerPattern>> = {
  /** One short high beep: in. */
  green: [[2000, 120]],
  /** Two short beeps: opens, but staff should look (or yellow: see staff). */
  attention: [
    [1500, 100],
    [0, 100],
    [1500, 100],
  ],
  /** One long low tone: no entry. */
  red: [[400, 700]],
  /** Three short high beeps, twice: door forced, held open, lockdown. */
  alarm: [
    [2500, 150],
    [0, 100],
    [2500, 150],
    [0, 100],
    [2500, 150],
    [0, 400],
    [2500, 150],
    [0, 100],
    [2500, 150],
    [0, 100],
    [2500, 150],
  ],
  /** A two-tone siren in long steps: the fire release. */
  fire: [
    [800, 500],
    [1600, 500],
    [800, 500],
    [1600, 500],
  ],
};

export const MIN_HZ = 50;
export const MAX_HZ = 20_000;
export const MAX_STEP_MS = 5000;

/** A pattern's problems (empty when fine): steps with a pitch outside 50–20 000 Hz (or 0) or a length outside 1–5000 ms. */
export function patternProblems(p: BuzzerPattern): string[] {
  const out: string[] = [];
  if (p.length === 0) out.push('empty pattern');
  p.forEach(([hz, ms], i) => {
    if (!Number.isFinite(hz) || (hz !== 0 && (hz < MIN_HZ || hz > MAX_HZ))) out.push(`step ${i}: pitch`);
    if (!Number.isInteger(ms) || ms < 1 || ms > MAX_STEP_MS) out.push(`step ${i}: length`);
  });
  return out;
}

/** When each step starts (ms from the start) and the pitch then; the last entry is the silence at the end. */
export function timeline(p: BuzzerPattern): { readonly atMs: number; readonly hz: number }[] {
  const out: { atMs: number; hz: number }[] = [];
  let at = 0;
  for (const [hz, ms] of p) {
    out.push({ atMs: at, hz });
    at += ms;
  }
  out.push({ atMs: at, hz: 0 });
  return out;
}

export function durationMs(p: BuzzerPattern): number {
  return p.reduce((sum, [, ms]) => sum + ms, 0);
}

/**
 * Linux PWM settings for a piezo: the period for the pitch and a duty cycle for the volume (0–100). A piezo is
 * loudest at 50 % duty, so volume 100 is half the period and volume 0 is silence. Nanoseconds, whole numbers.
 */
export function pwmTiming(hz: number, volume: number): { readonly periodNs: number; readonly dutyNs: number } {
  const periodNs = Math.round(1e9 / hz);
  const v = Math.min(100, Math.max(0, volume));
  return { periodNs, dutyNs: Math.round((periodNs * v) / 200) };
}

/** A daily range of local minutes; `to <= from` runs past midnight (22:00-07:00). */
export interface QuietRange {
  readonly from: number;
  readonly to: number;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/** "22:00-07:00" → minutes; null when it is not HH:MM-HH:MM with two different times. */
export function parseQuietHours(text: string): QuietRange | null {
  const m = HHMM.exec(text);
  if (!m) return null;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  return from === to ? null : { from, to };
}

/** Whether a local minute of the day (0–1439) is inside the range. */
export function inQuietRange(r: QuietRange, minute: number): boolean {
  return r.from < r.to ? minute >= r.from && minute < r.to : minute >= r.from || minute < r.to;
}
