// The verdicts must read without telling red from green (issue 13): each is drawn over its default display time
// and reduced to brightness only (the brightest channel of each pixel, hue thrown away), and the three brightness
// sequences must differ in a way a colour-blind viewer sees.
import { describe, expect, it } from 'vitest';
import { SimLedRing } from '../../hardware/leds/sim.js';
import type { Rgb } from '../../hardware/leds/types.js';
import { DEFAULT_LED_OPTIONS, LedController } from '../../device/leds/machine.js';
import { renderPattern } from '../../device/leds/patterns.js';
import type { LedPattern } from '../../device/leds/patterns.js';
import { silentLog } from '../support/log.js';
import { ManualClock } from '../support/clock.js';

const COUNT = 12;
const FRAME_MS = DEFAULT_LED_OPTIONS.frameMs;

/** Brightness-only frames of `pattern` over `ms`, one per frame tick: frame → pixel → 0..255 (max channel). */
function brightness(pattern: LedPattern, ms: number): number[][] {
  const frames: number[][] = [];
  for (let t = 0; t < ms; t += FRAME_MS) frames.push(renderPattern(pattern, t, COUNT).map((p) => Math.max(...p)));
  return frames;
}

const showMs = (p: 'green' | 'yellow' | 'red'): number => DEFAULT_LED_OPTIONS.showMs[p];
const lit = (frame: readonly number[]): number => frame.filter((v) => v > 0).length;

/** How many times pixel `i` goes from dark to lit or back over the frames. */
function toggles(frames: readonly number[][], i: number): number {
  let n = 0;
  for (let k = 1; k < frames.length; k++) if (frames[k]![i]! > 0 !== frames[k - 1]![i]! > 0) n++;
  return n;
}

describe('LED verdicts differ by motion, not only colour', () => {
  it('green is a steady, fully lit ring: no dark pixel, no change for its whole display time', () => {
    const frames = brightness('green', showMs('green'));
    for (const f of frames) expect(f).toEqual(Array.from({ length: COUNT }, () => 255));
  });

  it('yellow pulses smoothly over the whole ring, about once a second, never going dark', () => {
    const frames = brightness('yellow', showMs('yellow'));
    for (const f of frames) expect(new Set(f).size).toBe(1); // the whole ring alike: a pulse, not a pattern
    const level = frames.map((f) => f[0]!);
    expect(Math.min(...level)).toBeGreaterThan(0);
    expect(Math.min(...level)).toBeLessThanOrEqual(0.3 * Math.max(...level)); // a deep dip, plain to see
    // Smooth: no jump between two frames bigger than a fifth of full scale (a blink would jump all the way).
    for (let k = 1; k < level.length; k++) expect(Math.abs(level[k]! - level[k - 1]!)).toBeLessThanOrEqual(51);
    // Slow: count the dips (local minima); over 3 s that is 2 or 3, i.e. 0.7..1.5 Hz.
    let dips = 0;
    for (let k = 1; k < level.length - 1; k++) if (level[k]! < level[k - 1]! && level[k]! <= level[k + 1]!) dips++;
    expect(dips / (showMs('yellow') / 1000)).toBeGreaterThanOrEqual(0.6);
    expect(dips / (showMs('yellow') / 1000)).toBeLessThanOrEqual(1.5);
  });

  it('red flashes its two halves in turn, each pixel on and off at 2 Hz or faster', () => {
    const frames = brightness('red', showMs('red'));
    for (const f of frames) {
      expect(lit(f)).toBe(COUNT / 2); // never all dark (the door alarm), never all lit (green)
      for (const v of f) expect(v === 0 || v === 255).toBe(true); // hard on/off, not a fade
    }
    const seconds = showMs('red') / 1000;
    for (let i = 0; i < COUNT; i++) expect(toggles(frames, i) / 2 / seconds).toBeGreaterThanOrEqual(2);
    // The two halves are opposite: whatever the first pixel does, the last does the reverse.
    for (const f of frames) expect(f[0]! > 0).toBe(f[COUNT - 1] === 0);
  });

  it('the three brightness sequences are pairwise different, and red is not the door alarm', () => {
    const green = brightness('green', 2500);
    const yellow = brightness('yellow', 2500);
    const red = brightness('red', 2500);
    const key = (f: number[][]): string => JSON.stringify(f);
    expect(new Set([key(green), key(yellow), key(red)]).size).toBe(3);
    // Told apart by what an eye picks up at once: green never changes, yellow changes but never has a dark pixel,
    // red always has dark pixels.
    const changes = (fs: number[][]): boolean => fs.some((f) => key([f]) !== key([fs[0]!]));
    expect([changes(green), changes(yellow), changes(red)]).toEqual([false, true, true]);
    expect(yellow.every((f) => lit(f) === COUNT)).toBe(true);
    expect(red.every((f) => lit(f) < COUNT)).toBe(true);
    // The door alarm blinks the whole ring; a red verdict never darkens all of it.
    expect(brightness('door-alarm', 2500).some((f) => lit(f) === 0)).toBe(true);
    expect(red.some((f) => lit(f) === 0)).toBe(false);
  });

  it('no verdict frame draws more than a steady fill of its colour (the current budget stays as before)', () => {
    const sum = (ps: readonly Rgb[]): number => ps.reduce((a, p) => a + p[0] + p[1] + p[2], 0);
    const fills: Record<'green' | 'yellow' | 'red', number> = {
      green: COUNT * 255,
      yellow: COUNT * (255 + 150),
      red: COUNT * 255,
    };
    for (const p of ['green', 'yellow', 'red'] as const)
      for (let t = 0; t < showMs(p); t += FRAME_MS)
        expect(sum(renderPattern(p, t, COUNT))).toBeLessThanOrEqual(fills[p]);
  });

  it('the state machine animates yellow and red on the ring for their display time, capped', () => {
    const clock = new ManualClock(1_800_000_000_000);
    const ring = new SimLedRing(COUNT, { now: () => clock.now() });
    const leds = new LedController(ring, clock, DEFAULT_LED_OPTIONS, silentLog());
    leds.start();
    leds.setBase('idle');
    clock.advance(0);
    const cap = Math.round(255 * DEFAULT_LED_OPTIONS.brightness);
    for (const p of ['yellow', 'red'] as const) {
      const from = ring.frames.length;
      leds.showDecision(p);
      for (let t = 0; t < showMs(p) - FRAME_MS; t += FRAME_MS) {
        clock.advance(FRAME_MS);
        expect(leds.current().pattern).toBe(p);
      }
      const drawn = ring.frames.slice(from).map((f) => f.pixels.map((px) => Math.max(...px)));
      // Redrawn through the display time (red swaps about 12 times in 2.5 s), not frozen on its first frame.
      expect(drawn.length).toBeGreaterThanOrEqual(10);
      expect(new Set(drawn.map((f) => JSON.stringify(f))).size).toBeGreaterThanOrEqual(2);
      expect(Math.max(...drawn.flat())).toBeLessThanOrEqual(cap);
      clock.advance(2 * FRAME_MS);
      expect(leds.current().pattern).toBe('idle');
    }
    leds.stop();
  });
});
