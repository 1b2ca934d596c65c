import { describe, expect, it } from 'vitest';
import { SimLedRing } from '../../hardware/leds/sim.js';
import type { LedRing, Rgb } from '../../hardware/leds/types.js';
import { LedController } from '../../device/leds/machine.js';
import type { LedOptions, LedState } from '../../device/leds/machine.js';
import { capBrightness, LED_PATTERNS, renderPattern } from '../../device/leds/patterns.js';
import { silentLog } from '../support/log.js';
import { ManualClock } from '../support/clock.js';

const OPTS: LedOptions = {
  brightness: 0.5,
  showMs: { green: 1000, attention: 2000, yellow: 2000, red: 1500, fault: 2000, sunset: 2000 },
  frameMs: 50,
};

function setup(opts: LedOptions = OPTS) {
  const clock = new ManualClock(1_800_000_000_000);
  const ring = new SimLedRing(12, { now: () => clock.now() });
  const changes: LedState[] = [];
  const leds = new LedController(ring, clock, opts, silentLog(), (s) => changes.push(s));
  leds.start();
  return { clock, ring, leds, changes };
}

const maxChannel = (pixels: readonly Rgb[]): number => Math.max(0, ...pixels.flatMap((p) => [...p]));

describe('LED patterns', () => {
  it('draws every pattern at the ring size, with channels within 0..255, at any time', () => {
    for (const pattern of LED_PATTERNS) {
      for (const t of [0, 49, 250, 999, 4321, 123_456]) {
        const pixels = renderPattern(pattern, t, 16);
        expect(pixels).toHaveLength(16);
        for (const p of pixels) for (const c of p) expect(c >= 0 && c <= 255 && Number.isInteger(c)).toBe(true);
      }
    }
  });

  it('caps brightness on every channel', () => {
    expect(capBrightness([[255, 128, 0]], 0.25)).toEqual([[64, 32, 0]]);
    expect(capBrightness([[255, 255, 255]], 2)).toEqual([[255, 255, 255]]);
  });
});

describe('LED state machine', () => {
  it('boots, goes idle, shows a verdict for its time, then returns to idle', () => {
    const { clock, leds, changes } = setup();
    expect(leds.current().pattern).toBe('boot');
    leds.setBase('idle');
    clock.advance(0);
    expect(leds.current().pattern).toBe('idle');
    leds.showDecision('green');
    expect(changes.at(-1)?.pattern).toBe('idle'); // drawn on the clock's next turn, never inside the call
    clock.advance(0);
    expect(leds.current().pattern).toBe('green');
    clock.advance(999);
    expect(leds.current().pattern).toBe('green');
    clock.advance(51);
    expect(leds.current().pattern).toBe('idle');
    expect(changes.map((c) => c.pattern)).toEqual(['boot', 'idle', 'green', 'idle']);
  });

  it('never exceeds the brightness cap', () => {
    const { clock, ring, leds } = setup();
    for (const p of ['green', 'red', 'yellow', 'attention', 'fault', 'sunset'] as const) {
      leds.showDecision(p);
      clock.advance(300);
    }
    expect(ring.frames.length).toBeGreaterThan(5);
    expect(Math.max(...ring.frames.map((f) => maxChannel(f.pixels)))).toBeLessThanOrEqual(128);
  });

  it('shows the door alarm over the base state, and a verdict over the alarm', () => {
    const { clock, leds } = setup();
    leds.setBase('stale');
    leds.setDoorAlarm(true);
    clock.advance(0);
    expect(leds.current().pattern).toBe('door-alarm');
    leds.showDecision('red');
    clock.advance(0);
    expect(leds.current().pattern).toBe('red');
    clock.advance(1600);
    expect(leds.current().pattern).toBe('door-alarm');
    leds.setDoorAlarm(false);
    clock.advance(0);
    expect(leds.current().pattern).toBe('stale');
  });

  it('keeps the sunset and fault base states after verdicts', () => {
    const { clock, leds } = setup();
    leds.setBase('sunset');
    leds.showDecision('sunset');
    clock.advance(2100);
    expect(leds.current().pattern).toBe('sunset');
    leds.setBase('fault');
    clock.advance(100);
    expect(leds.current().pattern).toBe('fault');
  });

  it('animates only animated patterns and turns the ring off on stop', () => {
    const { clock, ring, leds } = setup();
    leds.setBase('idle');
    leds.showDecision('green');
    clock.advance(0);
    const before = ring.frames.length;
    clock.advance(900); // 18 ticks of a steady green: nothing redrawn
    expect(ring.frames.length).toBe(before);
    leds.stop();
    expect(ring.frames.at(-1)?.pixels.every((p) => p[0] === 0 && p[1] === 0 && p[2] === 0)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps working when the ring write fails', () => {
    const clock = new ManualClock(0);
    const ring: LedRing = {
      count: 8,
      show() {
        throw new Error('SPI gone');
      },
      close() {},
    };
    const leds = new LedController(ring, clock, OPTS, silentLog());
    leds.start();
    leds.showDecision('red');
    expect(() => clock.advance(100)).not.toThrow();
    expect(leds.current().pattern).toBe('red');
  });
});
