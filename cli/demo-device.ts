// The demo's device, started the way `gatecode device --config FILE` starts one: a checked device config →
// device/boot.ts (store, hardware factory, decoder, status hub and page, sync client, runtime). Only the config
// differs from a gate's: simulated GPIO and LED ring, the camera given by the caller (replay of rendered frames, the
// simulated camera a test pushes frames into, or a USB webcam), and the status page switched on.
import fs from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { SimCamera } from '../hardware/camera/sim/camera.js';
import type { SimGpio } from '../hardware/gpio/sim.js';
import { startDevice, STORE_FILE, type RunningDevice } from '../device/boot.js';
import { parseConfig, type DeviceConfigInput } from '../device/config.js';
import { openStore } from '../device/store/index.js';
import { enrol } from '../device/sync/enrolment.js';
import { DEMO_PROOF_WINDOW_SECONDS } from './demo-holder.js';

export type DemoCamera =
  | { readonly source: 'replay'; readonly files: readonly string[]; readonly fps: number }
  | { readonly source: 'sim' }
  | { readonly source: 'usb' };

export interface DemoDeviceOptions {
  readonly dataDir: string;
  readonly enrolmentUri: string;
  readonly site: string;
  readonly gate: string;
  readonly camera: DemoCamera;
  /** Local token for the status page's relay test. */
  readonly statusToken: string;
  readonly pollIntervalSeconds?: number;
  readonly log?: Logger;
}

export interface DemoDevice {
  readonly device: RunningDevice;
  readonly statusUrl: string;
  /** The simulated GPIO (relay pulses, door, turnstile). */
  readonly gpio: SimGpio;
  /** The simulated camera when the config asked for one (frames are pushed into it), else null. */
  readonly camera: SimCamera | null;
  stop(): Promise<void>;
}

export const DEMO_LED_COUNT = 16;

/**
 * Enrol with the one-time code. The trust data comes with the first sync, which device/boot.ts runs before the
 * runtime decides its first frame (an enrolled device without a bundle).
 */
async function enrolDevice(dataDir: string, uri: string, name: string, log: Logger): Promise<void> {
  const store = openStore(path.join(dataDir, STORE_FILE));
  try {
    await enrol({ store, uri, name, log });
  } finally {
    store.close();
  }
}

/** A free TCP port on loopback (the status page config takes a fixed port). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function demoConfig(o: DemoDeviceOptions, statusPort: number, tokenFile: string): DeviceConfigInput {
  const camera =
    o.camera.source === 'replay'
      ? { source: 'replay' as const, replay: { files: [...o.camera.files], fps: o.camera.fps, loop: false } }
      : { source: o.camera.source };
  return {
    site: o.site,
    gate: o.gate,
    direction: 'entry',
    holderProofWindowSeconds: DEMO_PROOF_WINDOW_SECONDS,
    dataDir: o.dataDir,
    // The demo runs on the host's clock (a laptop or a container without systemd), not a gate's.
    clockTrust: 'host',
    hardware: { gpio: 'sim', leds: 'sim' },
    leds: { count: DEMO_LED_COUNT },
    // A door contact and a turnstile rotation sensor, so the demo can walk a person through after a green.
    inputs: { door: { pin: 22 }, rotation: { pin: 23 } },
    camera,
    statusPage: { enabled: true, host: '127.0.0.1', port: statusPort, tokenFile },
    sync: { pollIntervalSeconds: o.pollIntervalSeconds ?? 2, jitter: 0 },
    logLevel: 'silent',
  };
}

export async function startDemoDevice(o: DemoDeviceOptions): Promise<DemoDevice> {
  const log = o.log ?? pino({ level: 'silent' });
  fs.mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  await enrolDevice(o.dataDir, o.enrolmentUri, o.gate, log);
  const tokenFile = path.join(o.dataDir, 'status.token');
  fs.writeFileSync(tokenFile, o.statusToken + '\n', { mode: 0o600 });
  const config = parseConfig(demoConfig(o, await freePort(), tokenFile));
  const device = await startDevice(config, { log, version: 'demo' });
  const gpio = device.hardware.sim?.gpio;
  if (!gpio || !device.status) {
    await device.stop();
    throw new Error('the demo device started without simulated GPIO or status page');
  }
  return {
    device,
    statusUrl: device.status.url,
    gpio,
    camera: device.hardware.sim?.camera ?? null,
    stop: () => device.stop(),
  };
}
