// The alarm kinds the runtime reports beyond the gate's own, and the forwarder's diff over them: camera-fault when
// the camera stream fails, clock-untrusted without a trusted time source, door alarms told to listeners at once
// (not on the next tick); the forwarder turns the list into raised/cleared transitions in the store's outbox and
// keeps them (with the active set) over a restart while nothing can be sent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CameraSource, GreyFrame } from '../../../hardware/camera/types.js';
import { SimGpio } from '../../../hardware/gpio/sim.js';
import { SimLedRing } from '../../../hardware/leds/sim.js';
import { AlarmForwarder } from '../../../device/alarms/forwarder.js';
import { DeviceRuntime } from '../../../device/runtime.js';
import { StatusHub } from '../../../device/status/hub.js';
import { openStore } from '../../../device/store/index.js';
import type { DeviceStore } from '../../../device/store/index.js';
import { TimeTrust } from '../../../device/time/trusted.js';
import { ManualClock } from '../../support/clock.js';
import { Deployment, T0_S } from '../../support/deployment.js';
import { silentLog } from '../../support/log.js';
import { BASE_OPTIONS } from '../helpers/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A camera whose stream fails once `fail()` is called (a dead camera, a missing binary). */
function failingCamera(): CameraSource & { fail(): void } {
  let settle: (r: IteratorResult<GreyFrame> | Error) => void = () => {};
  const ended = new Promise<IteratorResult<GreyFrame>>((resolve, reject) => {
    settle = (r) => (r instanceof Error ? reject(r) : resolve(r));
  });
  return {
    fail: () => settle(new Error('camera gone')),
    frames: () => ({ [Symbol.asyncIterator]: () => ({ next: () => ended }) }),
    stats: () => ({ delivered: 0, dropped: 0, restarts: 0 }) as ReturnType<CameraSource['stats']>,
    close: async () => settle({ done: true, value: undefined }),
  };
}

async function start(opts: { ntp: boolean | null }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  const d = new Deployment();
  const bundleFile = path.join(dir, 'bundle.cose');
  fs.writeFileSync(bundleFile, d.bundleBytes());
  const clock = new ManualClock(T0_S * 1000);
  const store = openStore(path.join(dir, 'device.db'), { now: () => Math.floor(clock.now() / 1000) });
  const camera = failingCamera();
  const gpio = new SimGpio({ clock });
  const timeTrust = new TimeTrust(
    { ntpSynchronized: () => opts.ntp, rtcPresent: () => false, monotonicMs: () => 1000 },
    { rtcConfigured: false, skewSeconds: 300 },
  );
  const runtime = await DeviceRuntime.start(
    { ...BASE_OPTIONS, trust: { rootPublicKey: d.rootPublicKey, bundleFile, revocationsFile: null } },
    {
      store,
      camera,
      gpio,
      ring: new SimLedRing(16, { now: () => clock.now() }),
      decoder: { decode: async () => null, close: async () => {} },
      hub: new StatusHub({ now: () => Math.floor(clock.now() / 1000) }),
    },
    { clock, log: silentLog(), timeTrust },
  );
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => runtime.stop());
  return { runtime, camera, gpio, clock, store, dir };
}

describe('runtime alarms', () => {
  it('reports camera-fault once the camera stream failed, and clock-untrusted without NTP, RTC or signed time', async () => {
    const { runtime, camera } = await start({ ntp: false });
    expect(runtime.currentAlarms()).toContain('clock-untrusted');
    expect(runtime.currentAlarms()).not.toContain('camera-fault');
    const seen: string[][] = [];
    runtime.onAlarms((l) => seen.push([...l]));
    camera.fail();
    await runtime.done;
    expect(runtime.currentAlarms()).toContain('camera-fault');
    expect(seen.at(-1)).toContain('camera-fault'); // told at once, not on the next tick
  });

  it('an NTP-synchronised clock raises no clock alarm; a forced door reaches listeners at once', async () => {
    const { runtime, gpio } = await start({ ntp: true });
    expect(runtime.currentAlarms()).not.toContain('clock-untrusted');
    const seen: string[][] = [];
    const off = runtime.onAlarms((l) => seen.push([...l]));
    gpio.setInput('door', true);
    expect(seen.at(-1)).toContain('door-forced');
    off();
    gpio.setInput('door', false);
    expect(seen.at(-1)).toContain('door-forced'); // unsubscribed: not told of the clear
    expect(runtime.currentAlarms()).not.toContain('door-forced');
  });

  it('the forwarder keeps transitions and the active set in the store while it cannot send, over a restart', async () => {
    const { runtime, gpio, store, clock } = await start({ ntp: true });
    const make = (s: DeviceStore) =>
      new AlarmForwarder({
        store: s,
        send: () => Promise.reject(new Error('offline')),
        clock,
        log: silentLog(),
      });
    const f = make(store);
    runtime.onAlarms((l) => f.observe(l));
    f.observe(runtime.currentAlarms());
    gpio.setInput('door', true);
    await f.idle();
    // Ignored: not forwarded (the server knows from the heartbeats).
    f.observe([...runtime.currentAlarms(), 'offline']);
    const kinds = store.pendingAlarmOutbox(10).map((e) => `${e.kind}:${e.state}`);
    expect(kinds).toEqual(['door-forced:raised']);
    expect(store.counters()['alarm-raised:door-forced']).toBe(1);
    await f.close();
    // A restart: the new forwarder knows door-forced is active (no second raise), and sees it clear.
    const g = make(store);
    expect(g.activeAlarms).toEqual(['door-forced']);
    g.observe(['door-forced']);
    g.observe([]);
    await g.idle();
    await g.close();
    expect(store.pendingAlarmOutbox(10).map((e) => `${e.kind}:${e.state}`)).toEqual([
      'door-forced:raised',
      'door-forced:cleared',
    ]);
  });
});
