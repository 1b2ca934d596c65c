// LED ring patterns as pure functions of (pattern, time since it started, pixel count) → pixels. The state
// machine picks which pattern is on; these only draw it. Colours are full-scale here; the brightness cap is
// applied afterwards, so every pattern respects it.
import type { Rgb } from '../../hardware/leds/types.js';

export const LED_PATTERNS = [
  'off',
  'boot',
  'idle',
  'green',
  'attention',
  'yellow',
  'red',
  'offline',
  'stale',
  'door-alarm',
  'fire-release',
  'fault',
  'sunset',
] as const;
export type LedPattern = (typeof LED_PATTERNS)[number];

const GREEN: Rgb = [0, 255, 0];
const AMBER: Rgb = [255, 150, 0];
const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 60, 255];
const WHITE: Rgb = [255, 255, 255];
const VIOLET: Rgb = [140, 0, 255];
const MAGENTA: Rgb = [255, 0, 160];
const OFF: Rgb = [0, 0, 0];

function scale(c: Rgb, f: number): Rgb {
  return [Math.round(c[0] * f), Math.round(c[1] * f), Math.round(c[2] * f)];
}

function fill(count: number, c: Rgb): Rgb[] {
  return Array.from({ length: count }, () => c);
}

/** One lit pixel (with a fading tail) going round once per `periodMs`. */
function spinner(count: number, t: number, c: Rgb, periodMs: number, base: Rgb = OFF): Rgb[] {
  const head = Math.floor(((t % periodMs) / periodMs) * count);
  return Array.from({ length: count }, (_, i) => {
    const behind = (head - i + count) % count;
    if (behind === 0) return c;
    if (behind === 1) return scale(c, 0.4);
    if (behind === 2) return scale(c, 0.12);
    return base;
  });
}

/** On for the first half of each period, off for the second. */
function blink(count: number, t: number, c: Rgb, periodMs: number): Rgb[] {
  return fill(count, t % periodMs < periodMs / 2 ? c : OFF);
}

/** Smooth breathing between 15 % and 100 % once per period (starts dim). */
function breathe(count: number, t: number, c: Rgb, periodMs: number): Rgb[] {
  const phase = (t % periodMs) / periodMs;
  return fill(count, scale(c, 0.15 + 0.85 * (0.5 - 0.5 * Math.cos(2 * Math.PI * phase))));
}

/** Verdict `yellow`: a smooth pulse from full down to 20 % and back once per `periodMs` (starts full, never dark). */
function pulse(count: number, t: number, c: Rgb, periodMs: number): Rgb[] {
  const phase = (t % periodMs) / periodMs;
  return fill(count, scale(c, 0.2 + 0.8 * (0.5 + 0.5 * Math.cos(2 * Math.PI * phase))));
}

/** Verdict `red`: one half of the ring lit, the other dark, swapping every `swapMs` (the half lit first is the first). */
function halves(count: number, t: number, c: Rgb, swapMs: number): Rgb[] {
  const swapped = Math.floor(t / swapMs) % 2 === 1;
  return Array.from({ length: count }, (_, i) => (i < count / 2 !== swapped ? c : OFF));
}

/** Timing of the verdict motions (also in docs/device.md, _LED ring_). */
export const YELLOW_PULSE_MS = 1000;
export const RED_SWAP_MS = 200;

/** Whether a pattern changes over time (the state machine only re-renders animated patterns on its tick). */
export function isAnimated(pattern: LedPattern): boolean {
  switch (pattern) {
    case 'off':
    case 'green':
      return false;
    case 'boot':
    case 'idle':
    case 'yellow':
    case 'red':
    case 'attention':
    case 'offline':
    case 'stale':
    case 'door-alarm':
    case 'fire-release':
    case 'fault':
    case 'sunset':
      return true;
    default: {
      const unreachable: never = pattern;
      return unreachable;
    }
  }
}

/** Draw `pattern` at `t` ms after it started on a ring of `count` pixels (full brightness). */
export function renderPattern(pattern: LedPattern, t: number, count: number): Rgb[] {
  switch (pattern) {
    case 'off':
      return fill(count, OFF);
    case 'boot':
      return spinner(count, t, BLUE, 800);
    case 'idle':
      // A dim ring with a slow white dot: the scanner is alive and waiting.
      return spinner(count, t, scale(WHITE, 0.35), 4000, scale(BLUE, 0.06));
    case 'green':
      // The verdicts differ by motion, not only colour: green is the only one that is steady and fully lit.
      return fill(count, GREEN);
    case 'attention':
      // Opens, but so that staff notice: amber and green alternating, swapping four times a second.
      return Array.from({ length: count }, (_, i) => ((i + Math.floor(t / 250)) % 2 === 0 ? AMBER : GREEN));
    case 'yellow':
      // Not let through, see staff: the whole ring pulses slowly, once a second, never going dark.
      return pulse(count, t, AMBER, YELLOW_PULSE_MS);
    case 'red':
      // Refused: the two halves flash in turn, each on for 200 ms and off for 200 ms (2.5 Hz). Never the whole ring
      // dark (that is the door alarm's blink) and never the whole ring lit (that is green).
      return halves(count, t, RED, RED_SWAP_MS);
    case 'offline':
      // Offline but the trust data is still fresh: the idle ring with a dim amber dot.
      return spinner(count, t, scale(AMBER, 0.35), 4000, scale(BLUE, 0.06));
    case 'stale':
      // Stale or missing trust data (green degrades to yellow): a bright amber dot on an amber-tinted ring.
      return spinner(count, t, AMBER, 2000, scale(AMBER, 0.08));
    case 'door-alarm':
      return blink(count, t, RED, 500);
    case 'fire-release':
      // Free passage during a fire alarm: two bright green arcs racing round on white, twice a second. No verdict
      // moves like this, so it reads without telling the colours apart.
      return Array.from({ length: count }, (_, i) => {
        const head = Math.floor(((t % 500) / 500) * count);
        const d = (head - i + count) % count;
        const d2 = (head + Math.floor(count / 2) - i + count) % count;
        return d < 2 || d2 < 2 ? GREEN : scale(WHITE, 0.25);
      });
    case 'fault':
      // Half magenta, half blue, swapping once a second: not a verdict colour, so nobody reads it as one.
      return Array.from({ length: count }, (_, i) => {
        const firstHalf = i < count / 2;
        const swapped = Math.floor(t / 1000) % 2 === 1;
        return firstHalf !== swapped ? MAGENTA : BLUE;
      });
    case 'sunset':
      return breathe(count, t, VIOLET, 6000);
    default: {
      const unreachable: never = pattern;
      return unreachable;
    }
  }
}

/** Cap brightness: every channel scaled by `cap` (0..1), so current stays in the supply's budget. */
export function capBrightness(pixels: readonly Rgb[], cap: number): Rgb[] {
  const f = Math.min(1, Math.max(0, cap));
  return pixels.map((p) => scale(p, f));
}
