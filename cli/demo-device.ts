// The demo's device: the real runtime (pipeline, decisions, gate, LED state machine, store, sync client, status
// page) over simulated GPIO and LED ring and a camera chosen by the caller (replay of rendered frames, a pushed
// simulated camera, or a USB webcam). It enrols with a code from the server and syncs before it starts deciding.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { CameraSource } from '../hardware/camera/types.js';
import { SimGpio } from '../hardware/gpio/sim.js';
import { SimLedRing } from '../hardware/leds/sim.js';
import { DEFAULT_PRESENCE } from '../device/presence.js';
import { DEFAULT_GATE_OPTIONS } from '../device/gate.js';
import { DEFAULT_LED_OPTIONS } from '../device/leds/machine.js';
import { createDecoder } from '../device/decode/index.js';
import { DeviceRuntime, type RuntimeOptions } from '../device/runtime.js';
import { StatusHub } from '../device/status/hub.js';
import { startStatusServer, type StatusServer } from '../device/status/server.js';
import { openStore } from '../device/store/index.js';
import type { DeviceStore } from '../device/store/index.js';
import { SyncClient } from '../device/sync/client.js';
import { enrol } from '../device/sync/enrolment.js';

export interface SimDeviceOptions {
  readonly dataDir: string;
  readonly enrolmentUri: string;
  readonly site: string;
  readonly gate: string;
  readonly camera: CameraSource;
  /** Status page port (0: any free port) and its local token for the relay test. */
  readonly statusPort?: number;
  readonly statusToken: string;
  readonly pollIntervalSeconds?: number;
  readonly log?: Logger;
}

export interface SimDevice {
  readonly runtime: DeviceRuntime;
  readonly hub: StatusHub;
  readonly status: StatusServer;
  readonly gpio: SimGpio;
  readonly ring: SimLedRing;
  readonly sync: SyncClient;
  readonly store: DeviceStore;
  stop(): Promise<void>;
}

export const DEMO_LED_COUNT = 16;

export async function startSimDevice(o: SimDeviceOptions): Promise<SimDevice> {
  const log = o.log ?? pino({ level: 'silent' });
  fs.mkdirSync(o.dataDir, { recursive: true });
  const store = openStore(path.join(o.dataDir, 'device.db'));
  let status: StatusServer | null = null;
  let sync: SyncClient | null = null;
  try {
    await enrol({ store, uri: o.enrolmentUri, name: o.gate });
    // Sync once before the runtime starts, so the very first frame is decided with the deployment's trust data.
    let runtime: DeviceRuntime | null = null;
    const client = new SyncClient(
      {
        store,
        log,
        softwareVersion: 'demo',
        listener: {
          trustDataChanged: () => runtime?.seam.trustChanged(),
          syncState: (st) =>
            runtime?.seam.reportSync({ ok: st.online && st.lastError === null, error: st.lastError, clockDriftSeconds: st.clockDriftSeconds }),
        },
      },
      { pollIntervalSeconds: o.pollIntervalSeconds ?? 2, jitter: 0 },
    );
    sync = client;
    const first = await client.syncNow();
    if (!first.ok) throw new Error(`first sync with the server failed: ${first.error?.code ?? 'unknown'}`);

    const hub = new StatusHub();
    const gpio = new SimGpio();
    const ring = new SimLedRing(DEMO_LED_COUNT);
    const decoder = await createDecoder({ engine: 'zxing' });
    const options: RuntimeOptions = {
      place: { site: o.site, zone: o.site, gate: o.gate, direction: 'in' },
      decide: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 4 * 3600 },
      presence: DEFAULT_PRESENCE,
      gate: DEFAULT_GATE_OPTIONS,
      leds: DEFAULT_LED_OPTIONS,
      retentionSeconds: 86_400,
      purgeIntervalMs: 3_600_000,
      trust: { rootPublicKey: null, bundleFile: null, revocationsFile: null },
      frameTimeoutMs: 5000,
    };
    const closeExtras = async () => {
      await client.stop();
      await status?.close();
    };
    runtime = await DeviceRuntime.start(options, { store, camera: o.camera, gpio, ring, decoder, hub, closeExtras }, { log, version: 'demo' });
    const started = runtime;
    started.seam.reportSync({ ok: true, clockDriftSeconds: client.status().clockDriftSeconds });
    client.start();
    status = await startStatusServer({ port: o.statusPort ?? 0, token: o.statusToken, hub, log });
    return { runtime: started, hub, status, gpio, ring, sync: client, store, stop: () => started.stop() };
  } catch (err) {
    await sync?.stop();
    await status?.close();
    try {
      store.close();
    } catch {
      // already closed by a runtime that failed to start
    }
    throw err;
  }
}
