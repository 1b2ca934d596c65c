// One place that picks the real driver or the simulated twin for each part. Native modules (onoff, spi-device)
// are imported only when a real part is built, so the simulated paths run on any machine.
//
// 'auto' falls back to the twin only where the device is absent. Where the device is there but its driver fails
// (module not built, no permission), it throws: a gate that silently stopped driving its relay would be worse.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { monotonicClock } from '../common/clock.js';
import type { HardwareConfig, InputConfig } from './config.js';
import { HARDWARE_DEFAULTS } from './config.js';
import { CameraError } from './camera/errors.js';
import { ReplayCamera } from './camera/replay.js';
import { createRpicamCamera, resolveRpicamBinary } from './camera/rpicam.js';
import { SimCamera } from './camera/sim/camera.js';
import type { CameraSource } from './camera/types.js';
import { createUsbCamera } from './camera/usb.js';
import { findExecutable } from './camera/which.js';
import type { GpioLineFactory } from './gpio/line.js';
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

export interface SimControls {
  readonly camera: SimCamera | null;
  readonly gpio: SimGpio | null;
  readonly leds: SimLedRing | null;
}

export interface Hardware {
  readonly camera: CameraSource;
  readonly gpio: GpioPorts;
  readonly leds: LedRing;
  /** The simulated twins, to drive them; null when every part is real. */
  readonly sim: SimControls | null;
  /** What was chosen per part, for the log and the status page. */
  readonly kinds: {
    readonly camera: 'rpicam' | 'usb' | 'replay' | 'sim';
    readonly gpio: 'onoff' | 'sim';
    readonly leds: 'spi' | 'sim';
  };
  /** LEDs off, relay safe, camera stopped. */
  close(): Promise<void>;
}

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

function gpioPins(cfg: HardwareConfig['gpio'] = {}): GpioPinsConfig {
  const d = HARDWARE_DEFAULTS.gpio;
  const debounce = cfg.debounceMs ?? d.debounceMs;
  const inputs: Partial<Record<InputName, InputPinConfig>> = {};
  const pick = (name: InputName, c: InputConfig | null | undefined, fallback: InputConfig | null) => {
    const v = c === undefined ? fallback : c;
    if (v)
      inputs[name] = {
        pin: v.pin,
        polarity: v.polarity ?? d.inputPolarity[name],
        debounceMs: v.debounceMs ?? debounce,
      };
  };
  pick('door', cfg.door, null);
  pick('exit', cfg.exit, d.exit);
  pick('rotation', cfg.rotation, null);
  pick('fire', cfg.fire, null);
  pick('lockdown', cfg.lockdown, null);
  return { relay: { pin: cfg.relay?.pin ?? d.relay.pin, polarity: cfg.relay?.polarity ?? d.relay.polarity }, inputs };
}

function hasVideoDevice(devRoot: string): boolean {
  try {
    return fs.readdirSync(devRoot).some((n) => /^video\d+$/.test(n));
  } catch {
    return false;
  }
}

export async function createHardware(config: HardwareConfig, log: Logger, deps: HardwareDeps = {}): Promise<Hardware> {
  const env = deps.env ?? process.env;
  const devRoot = deps.devRoot ?? '/dev';
  const clock = deps.clock ?? monotonicClock;
  const sim: { camera: SimCamera | null; gpio: SimGpio | null; leds: SimLedRing | null } = {
    camera: null,
    gpio: null,
    leds: null,
  };
  const cleanups: (() => void | Promise<void>)[] = [];

  try {
    // ---- GPIO first: the relay must be held safe as early as possible
    const pins = gpioPins(config.gpio);
    const gpioMode = config.gpio?.mode ?? HARDWARE_DEFAULTS.gpio.mode;
    let gpio: GpioPorts;
    let gpioKind: 'onoff' | 'sim' = 'sim';
    let lines: GpioLineFactory | null = null;
    if (gpioMode !== 'sim') {
      try {
        findPiGpioChip(deps.sysfsRoot);
        lines = await createOnoffLines({
          ...(deps.sysfsRoot ? { sysfsRoot: deps.sysfsRoot } : {}),
          ...(deps.onoffGpio ? { Gpio: deps.onoffGpio } : {}),
          log,
        });
      } catch (e) {
        if (gpioMode === 'real' || (e as { code?: string }).code !== 'NO_GPIO_CHIP') throw e;
        log.warn({ reason: (e as Error).message }, 'no Raspberry Pi GPIO here: using the simulated GPIO');
      }
    }
    if (lines) {
      gpio = openPorts(lines, pins, { clock, log: log.child({ part: 'gpio' }) });
      gpioKind = 'onoff';
    } else {
      sim.gpio = new SimGpio({ pins, clock, log: log.child({ part: 'gpio' }) });
      gpio = sim.gpio;
    }
    if (gpioKind === 'onoff' && (config.gpio?.safeExit ?? true)) {
      cleanups.push(installSafeExit(gpio.relay, deps.process ?? process, log)); // removed after the close below
    }
    cleanups.push(() => gpio.close());

    // ---- LEDs
    const lc = { ...HARDWARE_DEFAULTS.leds, ...config.leds };
    let leds: LedRing;
    let ledsKind: 'spi' | 'sim' = 'sim';
    const spiPath = path.join(devRoot, `spidev${lc.spiBus}.${lc.spiDevice}`);
    if (lc.mode === 'real' || (lc.mode === 'auto' && fs.existsSync(spiPath))) {
      const hz = lc.spiHz ?? (lc.bitsPerBit === 4 ? 3_200_000 : 2_400_000);
      const open = deps.openSpi ?? openSpiDevice;
      const transport = await open(lc.spiBus, lc.spiDevice, hz);
      leds = new SpiLedRing(transport, { ...lc, spiHz: hz, log: log.child({ part: 'leds' }) });
      ledsKind = 'spi';
    } else {
      if (lc.mode === 'auto') log.warn({ device: spiPath }, 'no SPI device: using the simulated LED ring');
      sim.leds = new SimLedRing(lc.count, { now: () => clock.now() });
      leds = sim.leds;
    }
    cleanups.push(() => leds.close());

    // ---- Camera
    const cc = { ...HARDWARE_DEFAULTS.camera, ...config.camera };
    const clog = log.child({ part: 'camera' });
    const restart = cc.restart ? { backoff: cc.restart } : {};
    let camera: CameraSource;
    let cameraKind: Hardware['kinds']['camera'];
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
    let source: 'csi' | 'usb' | null = null;
    if (cc.mode === 'real') source = cc.source ?? (csiFound() || !usbFound() ? 'csi' : 'usb');
    else if (cc.mode === 'auto') {
      if (cc.source === 'csi' || cc.source === undefined) source = csiFound() ? 'csi' : null;
      if (!source && cc.source !== 'csi') source = usbFound() ? 'usb' : null;
    }
    const common = {
      width: cc.width,
      height: cc.height,
      framerate: cc.framerate,
      env,
      ...restart,
      ...(cc.stallMs !== undefined ? { stallMs: cc.stallMs } : {}),
    };
    if (cc.mode === 'replay') {
      if (!cc.replay) throw new CameraError('BAD_OPTIONS', "camera mode 'replay' needs camera.replay.source");
      camera = new ReplayCamera({
        source: cc.replay.source,
        size: { width: cc.width, height: cc.height },
        ...(cc.replay.fps !== undefined ? { fps: cc.replay.fps } : {}),
        ...(cc.replay.loop !== undefined ? { loop: cc.replay.loop } : {}),
        now: () => clock.now(),
      });
      cameraKind = 'replay';
    } else if (source === 'csi') {
      const cam = createRpicamCamera({
        ...common,
        log: clog,
        ...(cc.focus ? { focus: cc.focus } : {}),
        ...(cc.ev !== undefined ? { ev: cc.ev } : {}),
        ...(cc.metering ? { metering: cc.metering } : {}),
        ...(cc.shutterUs !== undefined ? { shutterUs: cc.shutterUs } : {}),
        ...(cc.rotate180 ? { rotate180: true } : {}),
        ...(cc.cameraIndex !== undefined ? { camera: cc.cameraIndex } : {}),
        ...(cc.strideAlign !== undefined ? { strideAlign: cc.strideAlign } : {}),
        ...(cc.stride !== undefined ? { stride: cc.stride } : {}),
        ...(deps.modelFile ? { modelFile: deps.modelFile } : {}),
      });
      if (cc.mode === 'real') cam.start(); // a missing binary is a startup error, not a silent empty stream
      camera = cam;
      cameraKind = 'rpicam';
    } else if (source === 'usb') {
      const cam = createUsbCamera({
        ...common,
        log: clog,
        ...(cc.usbDevice ? { device: cc.usbDevice } : {}),
        ...(cc.usbInputFormat ? { inputFormat: cc.usbInputFormat } : {}),
      });
      if (cc.mode === 'real') cam.start();
      camera = cam;
      cameraKind = 'usb';
    } else {
      if (cc.mode === 'auto')
        log.warn('no camera (rpicam-vid, or a V4L2 device with ffmpeg) found: using the simulated camera');
      sim.camera = new SimCamera({ now: () => clock.now() });
      camera = sim.camera;
      cameraKind = 'sim';
    }
    cleanups.push(() => camera.close());

    const kinds = { camera: cameraKind, gpio: gpioKind, leds: ledsKind } as const;
    log.info({ kinds }, 'hardware ready');
    const anySim = sim.camera !== null || sim.gpio !== null || sim.leds !== null;
    return {
      camera,
      gpio,
      leds,
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
