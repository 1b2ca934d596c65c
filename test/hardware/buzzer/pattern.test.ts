import { describe, expect, it } from 'vitest';
import {
  BUZZER_PATTERNS,
  durationMs,
  inQuietRange,
  parseQuietHours,
  patternProblems,
  PATTERNS,
  pwmTiming,
  timeline,
} from '../../../hardware/buzzer/pattern.js';

/** The on/off rhythm an active buzzer (one pitch) plays: lengths of sound and rest, in order. */
const rhythm = (name: (typeof BUZZER_PATTERNS)[number]): string =>
  PATTERNS[name].map(([hz, ms]) => `${hz > 0 ? 'on' : 'off'}${ms}`).join(' ');

describe('buzzer patterns', () => {
  it('every pattern is valid and short (under 3 s)', () => {
    for (const name of BUZZER_PATTERNS) {
      expect(patternProblems(PATTERNS[name])).toEqual([]);
      expect(durationMs(PATTERNS[name])).toBeLessThan(3000);
    }
  });

  it('patterns differ in rhythm, so a one-pitch active buzzer keeps them apart', () => {
    const rhythms = BUZZER_PATTERNS.map(rhythm);
    expect(new Set(rhythms).size).toBe(BUZZER_PATTERNS.length);
  });

  it('the timeline starts each step at the sum of the ones before and ends silent', () => {
    expect(timeline(PATTERNS.attention)).toEqual([
      { atMs: 0, hz: 1500 },
      { atMs: 100, hz: 0 },
      { atMs: 200, hz: 1500 },
      { atMs: 300, hz: 0 },
    ]);
  });

  it('finds bad steps', () => {
    expect(patternProblems([])).toEqual(['empty pattern']);
    expect(patternProblems([[10, 100]])).toEqual(['step 0: pitch']);
    expect(patternProblems([[0, 0]])).toEqual(['step 0: length']);
    expect(patternProblems([[2000, 5001]])).toEqual(['step 0: length']);
  });

  it('PWM: the period is the pitch, volume 100 is 50 % duty, 0 is silence', () => {
    expect(pwmTiming(2000, 100)).toEqual({ periodNs: 500_000, dutyNs: 250_000 });
    expect(pwmTiming(2000, 50)).toEqual({ periodNs: 500_000, dutyNs: 125_000 });
    expect(pwmTiming(400, 0)).toEqual({ periodNs: 2_500_000, dutyNs: 0 });
    expect(pwmTiming(3000, 150).dutyNs).toBe(Math.round(333_333 / 2));
  });

  it('quiet hours: HH:MM-HH:MM, overnight ranges', () => {
    const night = parseQuietHours('22:00-07:00');
    expect(night).toEqual({ from: 1320, to: 420 });
    expect(inQuietRange(night!, 1319)).toBe(false);
    expect(inQuietRange(night!, 1320)).toBe(true);
    expect(inQuietRange(night!, 0)).toBe(true);
    expect(inQuietRange(night!, 419)).toBe(true);
    expect(inQuietRange(night!, 420)).toBe(false);
    const lunch = parseQuietHours('12:00-13:30');
    expect(inQuietRange(lunch!, 12 * 60 + 29)).toBe(true);
    expect(inQuietRange(lunch!, 13 * 60 + 30)).toBe(false);
    for (const bad of ['22-07', '22:00-22:00', '24:00-01:00', '22:00 - 07:00']) expect(parseQuietHours(bad)).toBeNull();
  });
});
