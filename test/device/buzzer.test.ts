// The buzzer at the gate: the controller on a manual clock (patterns, priority, quiet hours, a failing driver),
// then through the real runtime with a simulated buzzer: a green, a red, a door alarm and the fire release each
// play their own pattern, after the relay has moved.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BuzzerController } from '../../device/buzzer.js';
import { createDecoder } from '../../device/decode/index.js';
import type { FrameDecoder } from '../../device/decode/index.js';
import { PATTERNS } from '../../hardware/buzzer/pattern.js';
import type { BuzzerPatternName } from '../../hardware/buzzer/pattern.js';
import { SimBuzzer } from '../../hardware/buzzer/sim.js';
import type { Buzzer } from '../../hardware/buzzer/types.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import { DEFAULT_SIM_PINS } from '../../hardware/gpio/sim.js';
import { ManualClock, T0_S } from '../support/clock.js';
import { silentLog } from '../support/log.js';
import { Harness } from './helpers/harness.js';

// T0_S is 2027-01-15 08:00 UTC.
const tonesOf = (name: BuzzerPatternName): number[] => PATTERNS[name].map(([hz]) => hz).filter((hz) => hz > 0);

function controller(opts: Partial<ConstructorParameters<typeof BuzzerController>[2]> = {}, startMs = T0_S * 1000) {
  const clock = new ManualClock(startMs);
  const sim = new SimBuzzer(() => clock.now());
  const ctl = new BuzzerController(sim, clock, { volume: 60, quietHours: null, timeZone: 'UTC', ...opts }, silentLog());
  return { clock, sim, ctl };
}

describe('buzzer controller', () => {
  it('plays a pattern step by step on the clock and ends silent', () => {
    const { clock, sim, ctl } = controller();
    ctl.verdict('attention');
    expect(sim.sounding).toBe(true);
    clock.advance(100);
    expect(sim.sounding).toBe(false);
    clock.advance(100);
    expect(sim.sounding).toBe(true);
    clock.advance(100);
    expect(sim.played.map((r) => [r.at - T0_S * 1000, r.hz, r.volume])).toEqual([
      [0, 1500, 60],
      [100, 0, 0],
      [200, 1500, 60],
      [300, 0, 0],
    ]);
  });

  it('maps verdicts to sounds: yellow ("see staff") calls attention, fault and sunset sound red', () => {
    for (const [pattern, sound] of [
      ['green', 'green'],
      ['attention', 'attention'],
      ['yellow', 'attention'],
      ['red', 'red'],
      ['fault', 'red'],
    ] as const) {
      const { clock, sim, ctl } = controller();
      ctl.verdict(pattern);
      clock.advance(5000);
      expect(sim.tones().map((r) => r.hz)).toEqual(tonesOf(sound));
    }
  });

  it('an alarm is not cut short by a verdict; the fire release cuts short an alarm', () => {
    const { clock, sim, ctl } = controller();
    ctl.alarm('door-forced');
    clock.advance(50);
    ctl.verdict('green'); // ignored while the alarm plays
    ctl.alarm('fire-release');
    clock.advance(5000);
    expect(sim.tones().map((r) => r.hz)).toEqual([2500, ...tonesOf('fire')]);
  });

  it('quiet hours (22:00-07:00 in the zone) silence verdicts, never alarms', () => {
    const quiet = { quietHours: { from: 22 * 60, to: 7 * 60 }, timeZone: 'Europe/Berlin' };
    expect(controller(quiet, (T0_S - 2 * 3600) * 1000).ctl.isQuiet()).toBe(false); // 06:00 UTC = 07:00 Berlin
    expect(controller(quiet, (T0_S - 12 * 3600 + 60) * 1000).ctl.isQuiet()).toBe(false); // 21:01 Berlin
    expect(controller(quiet, (T0_S - 11 * 3600) * 1000).ctl.isQuiet()).toBe(true); // 22:00 Berlin
    const berlin = controller(quiet, (T0_S - 2 * 3600 - 1) * 1000); // 06:59:59 Berlin
    expect(berlin.ctl.isQuiet()).toBe(true);
    berlin.ctl.verdict('green');
    expect(berlin.sim.played).toEqual([]);
    expect(berlin.ctl.counts.quiet).toBe(1);
    berlin.ctl.alarm('door-held-open');
    expect(berlin.sim.sounding).toBe(true);
  });

  it('takes the zone of the bundle when none is configured', () => {
    const clock = new ManualClock((T0_S - 8 * 3600) * 1000); // 00:00 UTC: 19:00 in New York
    const sim = new SimBuzzer(() => clock.now());
    const opts = { volume: 50, quietHours: { from: 22 * 60, to: 6 * 60 }, timeZone: null };
    const ny = new BuzzerController(sim, clock, opts, silentLog(), () => 'America/New_York');
    expect(ny.isQuiet()).toBe(false);
    const utc = new BuzzerController(sim, clock, opts, silentLog(), () => 'UTC');
    expect(utc.isQuiet()).toBe(true);
  });

  it('a failing driver is logged once and never throws', () => {
    const clock = new ManualClock(0);
    const broken: Buzzer = {
      sound: () => {
        throw new Error('EIO');
      },
      silence: () => {
        throw new Error('EIO');
      },
      close: () => {},
    };
    const errors: string[] = [];
    const log = { ...silentLog(), error: (o: unknown) => errors.push(JSON.stringify(o)) } as never;
    const ctl = new BuzzerController(broken, clock, { volume: 50, quietHours: null, timeZone: 'UTC' }, log);
    expect(() => {
      ctl.verdict('red');
      clock.advance(1000);
      ctl.verdict('green');
    }).not.toThrow();
    expect(errors).toHaveLength(1);
  });
});

describe('buzzer through the runtime', { timeout: 60_000 }, () => {
  let decoder: FrameDecoder;
  let h: Harness | null = null;
  let sim: SimBuzzer | null = null;
  beforeAll(async () => {
    decoder = await createDecoder({ engine: 'zxing' });
  });
  afterAll(async () => {
    await decoder.close();
  });
  afterEach(async () => {
    await h?.stop();
    h = null;
  });

  const PINS = {
    relay: DEFAULT_SIM_PINS.relay,
    inputs: {
      ...DEFAULT_SIM_PINS.inputs,
      fire: { pin: 24, polarity: 'active-high' as const, debounceMs: 0 },
    },
  };

  it('green and red verdicts, a forced door and the fire release each sound their own pattern', async () => {
    h = await Harness.start({
      decoder,
      pins: PINS,
      buzzer: (clock) => (sim = new SimBuzzer(() => clock.now())),
    });
    const s = sim!;
    const green = await h.decideFrame(await renderPhoneScene(h.d.pass().text, { seed: 31 }));
    expect(green).toMatchObject({ opens: true });
    expect(h.gpio.pulses).toHaveLength(1);
    expect(s.tones().map((r) => r.hz)).toEqual(tonesOf('green').slice(0, 1)); // started at the verdict
    h.advance(2000);
    const red = await h.decideFrame(await renderPhoneScene(h.d.pass({ colour: 'red' }).text, { seed: 32 }));
    expect(red).toMatchObject({ colour: 'red' });
    h.advance(2000);
    expect(s.tones().map((r) => r.hz)).toEqual([...tonesOf('green'), ...tonesOf('red')]);

    const before = s.tones().length;
    h.advance(15_000); // the grant window is over: a door opening now is forced
    h.gpio.setInput('door', true);
    h.advance(3000);
    expect(h.hub.snapshot().alarms).toContain('door-forced');
    expect(
      s
        .tones()
        .slice(before)
        .map((r) => r.hz),
    ).toEqual(tonesOf('alarm'));
    h.gpio.setInput('door', false);

    const beforeFire = s.tones().length;
    h.gpio.setInput('fire', true);
    h.advance(3000);
    expect(h.gpio.relay.active).toBe(true);
    expect(
      s
        .tones()
        .slice(beforeFire)
        .map((r) => r.hz),
    ).toEqual(tonesOf('fire'));
    h.gpio.setInput('fire', false);
    await h.stop();
    h = null;
    expect(s.closed).toBe(true);
    expect(s.sounding).toBe(false);
  });
});
