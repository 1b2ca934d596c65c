// A device runtime over simulated hardware for end-to-end tests: SimCamera (every frame kept), SimGpio and
// SimLedRing on a manual clock, the real decoder (worker thread), a real SQLite store in a temp dir, a real
// StatusHub, and trust files written by a test Deployment.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimCamera } from '../../../hardware/camera/sim/camera.js';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { SimGpio } from '../../../hardware/gpio/sim.js';
import type { GpioPinsConfig } from '../../../hardware/gpio/ports.js';
import { SimLedRing } from '../../../hardware/leds/sim.js';
import type { Buzzer } from '../../../hardware/buzzer/types.js';
import { createDecoder } from '../../../device/decode/index.js';
import type { FrameDecoder } from '../../../device/decode/index.js';
import type { Decision } from '../../../device/decide.js';
import { DEFAULT_GATE_OPTIONS } from '../../../device/gate.js';
import { DEFAULT_LED_OPTIONS } from '../../../device/leds/machine.js';
import type { FrameOutcome } from '../../../device/pipeline.js';
import { DeviceRuntime } from '../../../device/runtime.js';
import type { RuntimeOptions } from '../../../device/runtime.js';
import { StatusHub } from '../../../device/status/hub.js';
import { openStore } from '../../../device/store/index.js';
import type { DeviceStore } from '../../../device/store/index.js';
import { Deployment, SITE, T0_S } from '../../support/deployment.js';
import type { BundleOptions } from '../../support/deployment.js';
import { silentLog } from '../../support/log.js';
import { ManualClock } from '../../support/clock.js';

export interface HarnessOptions {
  bundle?: BundleOptions;
  /** Revocation list file: these revocation ids (with their pass expiry). */
  revoked?: { revocationId: string; expiresAt: number }[];
  options?: Partial<RuntimeOptions>;
  startMs?: number;
  deployment?: Deployment;
  /** A decoder shared by the tests of a file (its close() is left to the file): saves the engine start per test. */
  decoder?: FrameDecoder;
  /** Simulated pins (default DEFAULT_SIM_PINS: no debounce, no fire loop). */
  pins?: GpioPinsConfig;
  /** A buzzer for the runtime (e.g. a SimBuzzer on the harness clock); default none. */
  buzzer?: (clock: ManualClock) => Buzzer;
}

export const BASE_OPTIONS: Omit<RuntimeOptions, 'trust'> = {
  place: { site: SITE, gate: 'north-1', zone: 'main', direction: 'in' },
  decide: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 3600 },
  presence: { leaveFrames: 2, holdOffMs: 60_000 },
  gate: { ...DEFAULT_GATE_OPTIONS, pulseMs: 400, rotationTimeoutSeconds: 8 },
  leds: DEFAULT_LED_OPTIONS,
  retentionSeconds: 24 * 3600,
  purgeIntervalMs: 600_000,
  frameTimeoutMs: 5000,
};

export class Harness {
  readonly outcomes: FrameOutcome[] = [];
  /** What the runtime told systemd, in order. */
  readonly notified: string[];
  private constructor(
    readonly dir: string,
    readonly d: Deployment,
    readonly clock: ManualClock,
    readonly camera: SimCamera,
    readonly gpio: SimGpio,
    readonly ring: SimLedRing,
    readonly hub: StatusHub,
    readonly store: DeviceStore,
    readonly runtime: DeviceRuntime,
    notified: string[],
  ) {
    this.notified = notified;
    runtime.pipeline.onDecision((o) => this.outcomes.push(o));
  }

  static async start(opts: HarnessOptions = {}): Promise<Harness> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
    const d = opts.deployment ?? new Deployment();
    const bundleFile = path.join(dir, 'bundle.cose');
    fs.writeFileSync(bundleFile, d.bundleBytes(opts.bundle));
    let revocationsFile: string | null = null;
    if (opts.revoked) {
      revocationsFile = path.join(dir, 'revocations.cose');
      fs.writeFileSync(revocationsFile, d.revocationSnapshot(opts.revoked));
    }
    const clock = new ManualClock(opts.startMs ?? T0_S * 1000);
    const camera = new SimCamera({ mode: 'all' });
    const gpio = new SimGpio({ clock, ...(opts.pins ? { pins: opts.pins } : {}) });
    const ring = new SimLedRing(16, { now: () => clock.now() });
    const hub = new StatusHub({ now: () => Math.floor(clock.now() / 1000) });
    const store = openStore(path.join(dir, 'device.db'), { now: () => Math.floor(clock.now() / 1000) });
    const shared = opts.decoder;
    const decoder = shared
      ? { decode: shared.decode.bind(shared), close: async () => {} }
      : await createDecoder({ engine: 'zxing' });
    const options: RuntimeOptions = {
      ...BASE_OPTIONS,
      trust: { rootPublicKey: d.rootPublicKey, bundleFile, revocationsFile },
      ...opts.options,
    };
    const notified: string[] = [];
    const notifier = {
      enabled: true,
      watchdogIntervalMs: 1000,
      ready: () => notified.push('ready'),
      watchdog: () => notified.push('watchdog'),
      stopping: () => notified.push('stopping'),
    };
    const runtime = await DeviceRuntime.start(
      options,
      { store, camera, gpio, ring, decoder, hub, buzzer: opts.buzzer?.(clock) ?? null },
      { clock, log: silentLog(), notifier },
    );
    return new Harness(dir, d, clock, camera, gpio, ring, hub, store, runtime, notified);
  }

  /** Push frames and wait until the pipeline has taken each through every stage. */
  async show(frame: GreyFrame, times = 1): Promise<void> {
    const target = this.runtime.pipeline.stats.frames + times;
    for (let i = 0; i < times; i++) await this.camera.push(frame);
    const deadline = Date.now() + 15_000;
    while (this.runtime.pipeline.stats.frames < target) {
      if (Date.now() > deadline) throw new Error('pipeline did not take the frames');
      await sleep(2);
    }
    // The last frame was taken; let its decode and decision finish.
    await sleep(0);
    while (this.busy()) await sleep(2);
  }

  /** Show a frame once (after enough blank frames for any earlier code to have left) and return its decision. */
  async decideFrame(frame: GreyFrame): Promise<Decision | null> {
    await this.blank(3);
    const before = this.outcomes.length;
    await this.show(frame);
    return this.outcomes.length > before ? (this.outcomes.at(-1)?.decision ?? null) : null;
  }

  async blank(times: number): Promise<void> {
    await this.show(blankFrame(), times);
  }

  /** Advance the manual clock (timers due on the way run: LED, gate, tick, purge). */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  async stop(): Promise<void> {
    await this.runtime.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private busy(): boolean {
    // `process` resolves after record; the stats counter is bumped before decode, so wait on the in-flight frame.
    return this.runtime.pipeline.inFlight;
  }
}

let blank: GreyFrame | null = null;
export function blankFrame(): GreyFrame {
  blank ??= { width: 640, height: 480, data: new Uint8Array(640 * 480).fill(140), timestamp: 0, seq: 0 };
  return blank;
}
