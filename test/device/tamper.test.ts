// The enclosure tamper switch (inputs.tamper): its config (defaults, pin clashes), its boot pull line, and the real
// runtime on simulated GPIO: the normally-closed loop opening (lid or a cut wire) raises `tamper` once it has held
// for the debounce time, with the door/alarm LED pattern and the status page input; closing clears it. It changes
// no decision: a pass still opens while the lid is open.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, toHardwareConfig } from '../../device/config.js';
import { derive } from '../../device/install/derive.js';
import { DeviceRuntime } from '../../device/runtime.js';
import { StatusHub } from '../../device/status/hub.js';
import { openStore } from '../../device/store/index.js';
import type { GreyFrame } from '../../hardware/camera/types.js';
import { DEFAULT_SIM_PINS, SimGpio } from '../../hardware/gpio/sim.js';
import { SimLedRing } from '../../hardware/leds/sim.js';
import { ManualClock } from '../support/clock.js';
import { Deployment, T0_S } from '../support/deployment.js';
import { silentLog } from '../support/log.js';
import { BASE_OPTIONS } from './helpers/harness.js';

const base = { site: 'hq', gate: 'g1' };

describe('inputs.tamper config', () => {
  it('defaults to a normally-closed loop: active-high, pulled up, debounced 40 ms', () => {
    expect(parseConfig({ ...base, inputs: { tamper: { pin: 26 } } }).inputs.tamper).toEqual({
      pin: 26,
      polarity: 'active-high',
      pull: 'up',
      debounceMs: 40,
    });
    expect(parseConfig(base).inputs.tamper).toBeUndefined();
    expect(toHardwareConfig(parseConfig(base)).gpio?.tamper).toBeNull();
  });

  it('refuses a pin another input, the relay or SPI0 already has', () => {
    const issues = (inputs: object) => {
      try {
        parseConfig({ ...base, inputs });
      } catch (err) {
        if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
        throw err;
      }
      return [];
    };
    expect(issues({ fire: { pin: 24 }, tamper: { pin: 24 } })).toEqual([
      'inputs.tamper.pin: BCM 24 is already inputs.fire.pin',
    ]);
    expect(issues({ tamper: { pin: 17 } })).toEqual(['inputs.tamper.pin: BCM 17 is already relay.pin']);
    expect(issues({ tamper: { pin: 9 } })).toEqual([expect.stringMatching(/^inputs\.tamper\.pin: .*SPI0/)]);
    expect(issues({ fire: { pin: 24 }, tamper: { pin: 26 } })).toEqual([]);
  });

  it('derives its pull resistor into the boot block', () => {
    const d = derive(parseConfig({ ...base, inputs: { tamper: { pin: 26 } } }));
    expect(d.bootBlock).toContain('gpio=26=ip,pu');
    expect(d.bootBlock[d.bootBlock.indexOf('gpio=26=ip,pu') - 1]).toBe('# inputs.tamper');
    const pd = derive(parseConfig({ ...base, inputs: { tamper: { pin: 26, pull: 'down', polarity: 'active-low' } } }));
    expect(pd.bootBlock).toContain('gpio=26=ip,pd');
    expect(derive(parseConfig(base)).bootBlock.join('\n')).not.toContain('inputs.tamper');
  });
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(openAtStart = false) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = new Deployment();
  const bundleFile = path.join(dir, 'bundle.cose');
  fs.writeFileSync(bundleFile, d.bundleBytes());
  const clock = new ManualClock(T0_S * 1000);
  const store = openStore(path.join(dir, 'device.db'), { now: () => Math.floor(clock.now() / 1000) });
  // The pin, polarity and debounce as the config gives them (not hand-written here).
  const tamper = toHardwareConfig(parseConfig({ ...base, inputs: { tamper: { pin: 26 } } })).gpio?.tamper;
  if (!tamper) throw new Error('no tamper input');
  const gpio = new SimGpio({ clock, pins: { ...DEFAULT_SIM_PINS, inputs: { ...DEFAULT_SIM_PINS.inputs, tamper } } });
  if (openAtStart) {
    gpio.lines.get(tamper.pin)?.drive(1);
    clock.advance(tamper.debounceMs);
  }
  let endFrames: (r: IteratorResult<GreyFrame>) => void = () => {};
  const closed = new Promise<IteratorResult<GreyFrame>>((resolve) => (endFrames = resolve));
  const hub = new StatusHub({ now: () => Math.floor(clock.now() / 1000) });
  const runtime = await DeviceRuntime.start(
    { ...BASE_OPTIONS, trust: { rootPublicKey: d.rootPublicKey, bundleFile, revocationsFile: null } },
    {
      store,
      camera: {
        // No frames until closed: the tamper alarm needs none.
        frames: () => ({ [Symbol.asyncIterator]: () => ({ next: () => closed }) }),
        stats: () => ({ delivered: 0, dropped: 0, restarts: 0 }),
        close: async () => endFrames({ done: true, value: undefined }),
      },
      gpio,
      ring: new SimLedRing(16, { now: () => clock.now() }),
      decoder: { decode: async () => null, close: async () => {} },
      hub,
    },
    { clock, log: silentLog() },
  );
  cleanups.push(() => runtime.stop());
  return { runtime, gpio, clock, hub, pin: tamper.pin };
}

describe('the tamper alarm in the runtime', () => {
  it('raises tamper when the loop opens (pin pulled high) for the debounce time, and clears it when it closes', async () => {
    const { runtime, gpio, clock, hub, pin } = await start();
    const line = gpio.lines.get(pin);
    if (!line) throw new Error('no tamper line');
    expect(hub.snapshot().inputs.tamper).toBe(false);
    expect(runtime.currentAlarms()).not.toContain('tamper');
    const seen: string[][] = [];
    runtime.onAlarms((l) => seen.push([...l]));
    // A 10 ms glitch is not a lid opening.
    line.drive(1);
    clock.advance(10);
    line.drive(0);
    clock.advance(100);
    expect(runtime.currentAlarms()).not.toContain('tamper');
    // The lid opens (or the wire is cut: the pull-up reads high the same way).
    line.drive(1);
    clock.advance(39);
    expect(runtime.currentAlarms()).not.toContain('tamper');
    clock.advance(1);
    expect(runtime.currentAlarms()).toContain('tamper');
    expect(seen.at(-1)).toContain('tamper'); // told at once, not on the next tick
    expect(hub.snapshot().inputs.tamper).toBe(true);
    expect(hub.snapshot().alarms).toContain('tamper');
    expect(runtime.leds.current().pattern).toBe('door-alarm');
    // No decision changes: the exit button still opens the gate, no lockdown.
    gpio.press('exit');
    expect(gpio.pulses).toHaveLength(1);
    expect(runtime.lockdown).toBe(false);
    line.drive(0);
    clock.advance(40);
    expect(runtime.currentAlarms()).not.toContain('tamper');
    expect(seen.at(-1)).not.toContain('tamper');
    expect(hub.snapshot().inputs.tamper).toBe(false);
    expect(runtime.leds.current().pattern).not.toBe('door-alarm');
  });

  it('raises tamper at start when the loop is already open', async () => {
    const { runtime, hub, clock } = await start(true);
    expect(runtime.currentAlarms()).toContain('tamper');
    clock.advance(100); // past the boot frame
    expect(hub.snapshot().inputs.tamper).toBe(true);
    expect(runtime.leds.current().pattern).toBe('door-alarm');
  });
});
