// The hardware table: one entry per part (camera, GPIO, LEDs) saying how to probe whether the real device is on this
// machine and how to open the real driver or the simulated twin. hardware/factory.ts walks it and handles
// 'auto' | 'real' | 'sim' once. A new part is one more entry here (and its field in config.ts and Hardware).
// Native modules (onoff, spi-device) are imported inside the real openers only, so simulated parts run anywhere.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import type { BuzzerHardwareConfig, HardwareConfig } from './config.js';
import { ActiveBuzzer } from './buzzer/active.js';
import { pwmChipDir, SysfsPwmBuzzer } from './buzzer/pwm.js';
import { SimBuzzer } from './buzzer/sim.js';
import type { Buzzer } from './buzzer/types.js';
import { relayLevel } from './gpio/relay.js';
import { CameraError } from './camera/errors.js';
import { ReplayCamera } from './camera/replay.js';
import { createRpicamCamera, resolveRpicamBinary } from './camera/rpicam.js';
import { SimCamera } from './camera/sim/camera.js';
import type { CameraSource } from './camera/types.js';
import { createUsbCamera } from './camera/usb.js';
import { findExecutable } from './camera/which.js';
import { createOnoffLines } from './gpio/onoff-lines.js';
import type { OnoffGpioClass } from './gpio/onoff-lines.js';
import { openPorts } from './gpio/ports.js';
import type { GpioPinsConfig, InputPinConfig } from './gpio/ports.js';
import { installSafeExit } from './gpio/safe-exit.js';
import type { ExitProcess } from './gpio/safe-exit.js';
import { SimGpio } from './gpio/sim.js';
import { findPiGpioChip } from './gpio/sysfs-base.js';
import type { GpioPorts, InputName } from './gpio/types.js';
import { SimLedRing } from './leds/sim.js';
import { SpiLedRing, openSpiDevice } from './leds/spi-ring.js';
import type { SpiTransport } from './leds/spi-ring.js';
import type { LedRing } from './leds/types.js';

/** Where the factory looks, and seams for tests. Defaults are the real machine. */
export interface HardwareDeps {
  readonly sysfsRoot?: string; // /sys
  readonly devRoot?: string; // /dev
  readonly env?: NodeJS.ProcessEnv;
  readonly modelFile?: string; // /proc/device-tree/model
  readonly clock?: Clock;
  readonly process?: ExitProcess;
  /** onoff's Gpio class (or a recording stand-in); default: import('onoff'). */
  readonly onoffGpio?: OnoffGpioClass;
  /** Opens the SPI device; default: spi-device. */
  readonly openSpi?: (bus: number, device: number, hz: number) => Promise<SpiTransport>;
}

/** What every opener gets: the machine (deps resolved) and a logger for the part. */
export interface PartContext {
  readonly deps: HardwareDeps;
  readonly env: NodeJS.ProcessEnv;
  readonly devRoot: string;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The probe's answer: the device is here (with what was found), or why it is not. */
export type Probe<F> = { readonly found: F } | { readonly absent: string };

/** One part opened: the value the device uses, what was chosen, the twin to drive (sim only), how to undo it. */
export interface Opened<V, K extends string, S> {
  readonly value: V;
  readonly kind: K;
  readonly sim: S | null;
  close(): void | Promise<void>;
}

export interface PartEntry<C, F, V, K extends string, S> {
  /** For the log: "using the simulated <label>". */
  readonly label: string;
  /** Whether the real device exists. Throws only where it exists but is unusable. */
  probe(config: C, ctx: PartContext): Probe<F>;
  /** The real driver. `found` is the probe's answer in 'auto' mode, null in 'real' mode (not probed). */
  openReal(config: C, ctx: PartContext, found: F | null): Promise<Opened<V, K, S>>;
  openSim(config: C, ctx: PartContext): Opened<V, K, S>;
}

// ---- GPIO

type GpioConfig = HardwareConfig['gpio'];

function gpioPins(cfg: GpioConfig): GpioPinsConfig {
  const inputs: Partial<Record<InputName, InputPinConfig>> = {};
  for (const name of ['door', 'exit', 'rotation', 'fire', 'lockdown', 'tamper'] as const) {
    const c = cfg[name];
    if (c) inputs[name] = { pin: c.pin, polarity: c.polarity, debounceMs: c.debounceMs };
  }
  return { relay: { pin: cfg.relay.pin, polarity: cfg.relay.polarity }, inputs };
}

function probePiGpio(sysfsRoot: string | undefined): Probe<true> {
  try {
    findPiGpioChip(sysfsRoot);
    return { found: true };
  } catch (e) {
    if ((e as { code?: string }).code !== 'NO_GPIO_CHIP') throw e;
    return { absent: `no Raspberry Pi GPIO here (${(e as Error).message})` };
  }
}

export const gpioPart: PartEntry<GpioConfig, true, GpioPorts, 'onoff' | 'sim', SimGpio> = {
  label: 'GPIO',
  probe(_cfg, { deps }) {
    return probePiGpio(deps.sysfsRoot);
  },
  async openReal(cfg, { deps, clock, log }) {
    // the relay must be held safe as early as possible: GPIO is the first part opened
    const lines = await createOnoffLines({
      ...(deps.sysfsRoot ? { sysfsRoot: deps.sysfsRoot } : {}),
      ...(deps.onoffGpio ? { Gpio: deps.onoffGpio } : {}),
      log,
    });
    const gpio = openPorts(lines, gpioPins(cfg), { clock, log });
    const removeSafeExit = cfg.safeExit === false ? null : installSafeExit(gpio.relay, deps.process ?? process, log);
    return {
      value: gpio,
      kind: 'onoff',
      sim: null,
      close: async () => {
        try {
          await gpio.close();
        } finally {
          removeSafeExit?.(); // only after the relay is safe
        }
      },
    };
  },
  openSim(cfg, { clock, log }) {
    const sim = new SimGpio({ pins: gpioPins(cfg), clock, log });
    return { value: sim, kind: 'sim', sim, close: () => sim.close() };
  },
};

// ---- LEDs

type LedsConfig = HardwareConfig['leds'];
const spiNode = (cfg: LedsConfig, devRoot: string) => path.join(devRoot, `spidev${cfg.spiBus}.${cfg.spiDevice}`);

export const ledsPart: PartEntry<LedsConfig, true, LedRing, 'spi' | 'sim', SimLedRing> = {
  label: 'LED ring',
  probe(cfg, { devRoot }) {
    const node = spiNode(cfg, devRoot);
    return fs.existsSync(node) ? { found: true } : { absent: `no SPI device ${node}` };
  },
  async openReal(cfg, { deps, log }) {
    const transport = await (deps.openSpi ?? openSpiDevice)(cfg.spiBus, cfg.spiDevice, cfg.spiHz);
    const ring = new SpiLedRing(transport, { ...cfg, log });
    return { value: ring, kind: 'spi', sim: null, close: () => ring.close() };
  },
  openSim(cfg, { clock }) {
    const sim = new SimLedRing(cfg.count, { now: () => clock.now() });
    return { value: sim, kind: 'sim', sim, close: () => sim.close() };
  },
};

// ---- Buzzer (kind 'none' is handled in the factory: there is nothing to open)

type BuzzerConfig = BuzzerHardwareConfig;

export const buzzerPart: PartEntry<BuzzerConfig, true, Buzzer, 'gpio' | 'pwm' | 'sim', SimBuzzer> = {
  label: 'buzzer',
  probe(cfg, { deps }) {
    if (cfg.kind === 'pwm') {
      const dir = pwmChipDir(deps.sysfsRoot ?? '/sys', cfg.pwmChip);
      return fs.existsSync(dir) ? { found: true } : { absent: `no PWM chip ${dir}` };
    }
    return probePiGpio(deps.sysfsRoot);
  },
  async openReal(cfg, { deps, log }) {
    if (cfg.kind === 'pwm') {
      const b = await SysfsPwmBuzzer.open({
        ...(deps.sysfsRoot ? { sysfsRoot: deps.sysfsRoot } : {}),
        chip: cfg.pwmChip,
        channel: cfg.pwmChannel,
      });
      return { value: b, kind: 'pwm', sim: null, close: () => b.close() };
    }
    // An active buzzer is one more GPIO output, through the same line driver as the relay.
    const lines = await createOnoffLines({
      ...(deps.sysfsRoot ? { sysfsRoot: deps.sysfsRoot } : {}),
      ...(deps.onoffGpio ? { Gpio: deps.onoffGpio } : {}),
      log,
    });
    const line = lines.output(cfg.pin ?? 0, relayLevel(cfg.polarity, false));
    const b = new ActiveBuzzer(line, cfg.polarity);
    return { value: b, kind: 'gpio', sim: null, close: () => b.close() };
  },
  openSim(_cfg, { clock }) {
    const sim = new SimBuzzer(() => clock.now());
    return { value: sim, kind: 'sim', sim, close: () => sim.close() };
  },
};

// ---- Camera ('replay' is handled in the factory: it is neither the device nor its twin)

type CameraConfig = HardwareConfig['camera'];
export type CameraKind = 'rpicam' | 'usb' | 'replay' | 'sim';

function hasVideoDevice(devRoot: string): boolean {
  try {
    return fs.readdirSync(devRoot).some((n) => /^video\d+$/.test(n));
  } catch {
    return false;
  }
}

export const cameraPart: PartEntry<CameraConfig, 'csi' | 'usb', CameraSource, CameraKind, SimCamera> = {
  label: 'camera',
  probe(cc, { env, devRoot }) {
    const csiFound = () => {
      try {
        resolveRpicamBinary(env);
        return true;
      } catch {
        return false;
      }
    };
    const usbFound = () =>
      (cc.usbDevice !== undefined || hasVideoDevice(devRoot)) && findExecutable('ffmpeg', env) !== null;
    if (cc.source !== 'usb' && csiFound()) return { found: 'csi' };
    if (cc.source !== 'csi' && usbFound()) return { found: 'usb' };
    return { absent: 'no camera (rpicam-vid, or a V4L2 device with ffmpeg) found' };
  },
  async openReal(cc, ctx, found) {
    const strict = found === null; // 'real' mode: a missing binary is a startup error, not a silent empty stream
    let source = found ?? cc.source;
    if (source === undefined) {
      const p = cameraPart.probe(cc, ctx);
      source = 'found' in p ? p.found : 'csi';
    }
    const common = {
      width: cc.width,
      height: cc.height,
      framerate: cc.framerate,
      env: ctx.env,
      log: ctx.log,
      ...(cc.restart ? { backoff: cc.restart } : {}),
      ...(cc.stallMs !== undefined ? { stallMs: cc.stallMs } : {}),
    };
    const cam =
      source === 'csi'
        ? createRpicamCamera({
            ...common,
            ...(cc.focus ? { focus: cc.focus } : {}),
            ...(cc.ev !== undefined ? { ev: cc.ev } : {}),
            ...(cc.metering ? { metering: cc.metering } : {}),
            ...(cc.shutterUs !== undefined ? { shutterUs: cc.shutterUs } : {}),
            ...(cc.rotate180 ? { rotate180: true } : {}),
            ...(cc.cameraIndex !== undefined ? { camera: cc.cameraIndex } : {}),
            ...(cc.strideAlign !== undefined ? { strideAlign: cc.strideAlign } : {}),
            ...(cc.stride !== undefined ? { stride: cc.stride } : {}),
            ...(ctx.deps.modelFile ? { modelFile: ctx.deps.modelFile } : {}),
          })
        : createUsbCamera({
            ...common,
            ...(cc.usbDevice ? { device: cc.usbDevice } : {}),
            ...(cc.usbInputFormat ? { inputFormat: cc.usbInputFormat } : {}),
          });
    if (strict) cam.start();
    return { value: cam, kind: source === 'csi' ? 'rpicam' : 'usb', sim: null, close: () => cam.close() };
  },
  openSim(_cc, { clock }) {
    const sim = new SimCamera({ now: () => clock.now() });
    return { value: sim, kind: 'sim', sim, close: () => sim.close() };
  },
};

/** The replay camera: image files or frames played as the camera (demo, tests, field recordings). */
export function openReplay(cc: CameraConfig, { clock }: PartContext): Opened<CameraSource, CameraKind, SimCamera> {
  if (!cc.replay) throw new CameraError('BAD_OPTIONS', "camera mode 'replay' needs camera.replay.source");
  const cam = new ReplayCamera({
    source: cc.replay.source,
    size: { width: cc.width, height: cc.height },
    ...(cc.replay.fps !== undefined ? { fps: cc.replay.fps } : {}),
    ...(cc.replay.loop !== undefined ? { loop: cc.replay.loop } : {}),
    now: () => clock.now(),
  });
  return { value: cam, kind: 'replay', sim: null, close: () => cam.close() };
}
