// One place that picks the real driver or the simulated twin for each part, from the table in hardware/parts.ts.
// The config is fully resolved (hardware/config.ts): this file holds no defaults.
//
// 'auto' falls back to the twin only where the device is absent. Where the device is there but its driver fails
// (module not built, no permission), it throws: a gate that silently stopped driving its relay would be worse.
import type { Logger } from 'pino';
import { monotonicClock } from '../common/clock.js';
import type { SimCamera } from './camera/sim/camera.js';
import type { CameraSource } from './camera/types.js';
import type { HardwareConfig, PartMode } from './config.js';
import type { SimGpio } from './gpio/sim.js';
import type { GpioPorts } from './gpio/types.js';
import type { SimLedRing } from './leds/sim.js';
import type { LedRing } from './leds/types.js';
import { buzzerPart, cameraPart, gpioPart, ledsPart, openReplay } from './parts.js';
import type { SimBuzzer } from './buzzer/sim.js';
import type { Buzzer } from './buzzer/types.js';
import type { CameraKind, HardwareDeps, Opened, PartContext, PartEntry } from './parts.js';

export type { HardwareDeps } from './parts.js';

export interface SimControls {
  readonly camera: SimCamera | null;
  readonly gpio: SimGpio | null;
  readonly leds: SimLedRing | null;
  readonly buzzer: SimBuzzer | null;
}

export interface Hardware {
  readonly camera: CameraSource;
  readonly gpio: GpioPorts;
  readonly leds: LedRing;
  /** null: no buzzer configured (kind 'none'). */
  readonly buzzer: Buzzer | null;
  /** The simulated twins, to drive them; null when every part is real. */
  readonly sim: SimControls | null;
  /** What was chosen per part, for the log and the status page. */
  readonly kinds: {
    readonly camera: CameraKind;
    readonly gpio: 'onoff' | 'sim';
    readonly leds: 'spi' | 'sim';
    readonly buzzer: 'none' | 'gpio' | 'pwm' | 'sim';
  };
  /** LEDs off, relay safe, camera stopped. */
  close(): Promise<void>;
}

/** 'sim' opens the twin, 'real' the driver (its typed error if the device is missing), 'auto' probes first. */
async function openPart<C, F, V, K extends string, S>(
  entry: PartEntry<C, F, V, K, S>,
  mode: PartMode,
  config: C,
  ctx: PartContext,
): Promise<Opened<V, K, S>> {
  if (mode === 'sim') return entry.openSim(config, ctx);
  if (mode === 'real') return entry.openReal(config, ctx, null);
  const probe = entry.probe(config, ctx);
  if ('found' in probe) return entry.openReal(config, ctx, probe.found);
  ctx.log.warn({ reason: probe.absent }, `${probe.absent}: using the simulated ${entry.label}`);
  return entry.openSim(config, ctx);
}

export async function createHardware(config: HardwareConfig, log: Logger, deps: HardwareDeps = {}): Promise<Hardware> {
  const base = {
    deps,
    env: deps.env ?? process.env,
    devRoot: deps.devRoot ?? '/dev',
    clock: deps.clock ?? monotonicClock,
  };
  const ctx = (part: string): PartContext => ({ ...base, log: log.child({ part }) });
  const cleanups: (() => void | Promise<void>)[] = [];
  const track = <V, K extends string, S>(p: Opened<V, K, S>): Opened<V, K, S> => {
    cleanups.push(() => p.close());
    return p;
  };
  try {
    // GPIO first: the relay must be held safe as early as possible
    const gpio = track(await openPart(gpioPart, config.gpio.mode, config.gpio, ctx('gpio')));
    const leds = track(await openPart(ledsPart, config.leds.mode, config.leds, ctx('leds')));
    const bc = config.buzzer;
    const buzzer =
      bc === undefined || bc.kind === 'none' ? null : track(await openPart(buzzerPart, bc.mode, bc, ctx('buzzer')));
    const cc = config.camera;
    const camera = track(
      cc.mode === 'replay' ? openReplay(cc, ctx('camera')) : await openPart(cameraPart, cc.mode, cc, ctx('camera')),
    );

    const kinds = { camera: camera.kind, gpio: gpio.kind, leds: leds.kind, buzzer: buzzer?.kind ?? 'none' } as const;
    log.info({ kinds }, 'hardware ready');
    const sim = { camera: camera.sim, gpio: gpio.sim, leds: leds.sim, buzzer: buzzer?.sim ?? null };
    const anySim = sim.camera !== null || sim.gpio !== null || sim.leds !== null || sim.buzzer !== null;
    return {
      camera: camera.value,
      gpio: gpio.value,
      leds: leds.value,
      buzzer: buzzer?.value ?? null,
      sim: anySim ? sim : null,
      kinds,
      close: () => runCleanups(cleanups, log),
    };
  } catch (e) {
    await runCleanups(cleanups, log);
    throw e;
  }
}

/** Undo in reverse order; one failure does not stop the rest. */
async function runCleanups(cleanups: (() => void | Promise<void>)[], log: Logger): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (e) {
      log.error({ err: e }, 'hardware cleanup failed');
    }
  }
}
