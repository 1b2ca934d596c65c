// `gatecode check --config FILE`: the installed gate's doctor (device/install/check.ts). One line per item,
// green / yellow / red; exit status by the worst: 0 green, 1 yellow, 3 red (2 stays a usage error).
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceConfig } from '../device/config/schema.js';
import type { CheckProbes, FrameGrab, StoreReport } from '../device/install/check.js';
import { packageRoot } from './package-root.js';
import { parseOptions, UsageError } from './usage.js';

const USAGE = `usage: gatecode check --config FILE [--root DIR] [--json]

Checks the installed gate described by FILE, one line per item (green, yellow, red): Node version, camera binary,
video group and a frame grabbed with its stride, SPI and spidev.bufsiz, GPIO chip, the relay's safe level in
config.txt and in the unit, the time source, disk space, store integrity, trust data age and sunset, and the
server. Run it as the service user to test its permissions:
  sudo -u gatecode gatecode check --config /etc/gatecode/device.yaml
Exit status: 0 all green, 1 worst yellow, 3 worst red.
  --root DIR  look at files under DIR instead of / (tests, images)
  --json      one JSON object: { "worst": LEVEL, "items": [{ "id", "level", "detail" }] }`;

const EXIT = { green: 0, yellow: 1, red: 3 } as const;

function freeBytes(dir: string): number | null {
  let d = dir;
  for (;;) {
    try {
      const s = fs.statfsSync(d);
      return s.bavail * s.bsize;
    } catch {
      const up = path.dirname(d);
      if (up === d) return null;
      d = up;
    }
  }
}

async function grabFrame(config: DeviceConfig): Promise<FrameGrab> {
  const { toHardwareConfig } = await import('../device/config.js');
  const { createLogger } = await import('../device/log.js');
  const cc = toHardwareConfig(config).camera;
  const log = createLogger({ level: 'silent' });
  const opts = { log, width: config.camera.width, height: config.camera.height, framerate: config.camera.framerate };
  let cam;
  try {
    if (config.camera.source === 'usb') {
      const { createUsbCamera } = await import('../hardware/camera/usb.js');
      cam = createUsbCamera({ ...opts, ...(cc.usbDevice ? { device: cc.usbDevice } : {}) });
    } else {
      const { createRpicamCamera } = await import('../hardware/camera/rpicam.js');
      cam = createRpicamCamera({ ...opts, ...(cc.stride !== undefined ? { stride: cc.stride } : {}) });
    }
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? 'ERROR', message: (err as Error).message };
  }
  const it = cam.frames()[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  try {
    // a few frames, so that the stride check on the first bursts has run
    for (let i = 0; i < 5; i++) {
      const r = await Promise.race([
        it.next(),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000))),
      ]);
      clearTimeout(timer);
      if (r === 'timeout') return { ok: false, code: 'NO_FRAME', message: 'no frame within 10 s' };
      if (r.done) return { ok: false, code: 'NO_FRAME', message: 'the camera stream ended' };
    }
    return {
      ok: true,
      stride: cam.layout?.stride ?? config.camera.width,
      width: config.camera.width,
      height: config.camera.height,
    };
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? 'ERROR', message: (err as Error).message };
  } finally {
    await cam.close();
  }
}

async function readStore(config: DeviceConfig, root: string): Promise<StoreReport | null> {
  const { STORE_FILE } = await import('../device/boot.js');
  const file = path.join(root, config.dataDir, STORE_FILE);
  if (!fs.existsSync(file)) return null;
  const { openStore } = await import('../device/store/index.js');
  const { signedDataAt } = await import('../device/trust/apply.js');
  const { readEnrolment } = await import('../device/trust/enrolment.js');
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let integrity: string;
  try {
    integrity = String(db.pragma('quick_check', { simple: true }));
  } finally {
    db.close();
  }
  const store = openStore(file);
  try {
    const held = store.getBundle();
    return {
      integrity,
      bundle: held
        ? { sunset: held.bundle.sunset, maxOfflineAgeSeconds: held.bundle.policy.maxOfflineAgeSeconds }
        : null,
      trustDataAt: signedDataAt(store),
      serverUrl: readEnrolment(store)?.serverUrl ?? null,
    };
  } finally {
    store.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: 'string' },
    root: { type: 'string', default: '/' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.config === undefined) throw new UsageError('--config FILE is required');
  const { loadConfig } = await import('../device/config.js');
  // A ConfigError goes on to main and exits 2 (exitCodeFor).
  const config: DeviceConfig = loadConfig(values.config);
  const root = path.resolve(values.root);
  const { runChecks, worst } = await import('../device/install/check.js');
  const { detectBoard } = await import('../device/install/setup.js');
  const { systemTimeProbes } = await import('../device/time/trusted.js');
  const { findExecutable } = await import('../hardware/camera/which.js');
  const time = systemTimeProbes({ sysRoot: path.join(root, 'sys') });
  let storeReport: StoreReport | null = null;
  let storeError: unknown = null;
  try {
    storeReport = await readStore(config, root);
  } catch (err) {
    storeError = err;
  }
  const probes: CheckProbes = {
    root,
    nodeVersion: process.version,
    nowSeconds: Math.floor(Date.now() / 1000),
    which: (name) => findExecutable(name),
    ntpSynchronized: () => time.ntpSynchronized(),
    diskFreeBytes: freeBytes,
    grabFrame,
    readStore: () => {
      if (storeError !== null) throw storeError;
      return storeReport;
    },
    reachable: async (url) => {
      try {
        const r = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(3000) });
        return r.ok ? null : `HTTP ${r.status}`;
      } catch (err) {
        return (err as Error).name === 'TimeoutError'
          ? 'no answer within 3 s'
          : (((err as Error).cause as Error | undefined)?.message ?? (err as Error).message);
      }
    },
    board: () => detectBoard(root),
    mqttBroker: async (c) => {
      if (c.mqtt === undefined) return null;
      const { probeBroker } = await import('../device/mqtt/probe.js');
      const under = (f: string | undefined): string | undefined => (f === undefined ? undefined : path.join(root, f));
      const files = {
        passwordFile: under(c.mqtt.passwordFile),
        caFile: under(c.mqtt.caFile),
        certFile: under(c.mqtt.certFile),
        keyFile: under(c.mqtt.keyFile),
      };
      return probeBroker({ ...c.mqtt, ...files }, { site: c.site, gate: c.gate, version: null });
    },
  };
  const { DEFAULT_PATHS } = await import('../device/install/derive.js');
  // the same paths `gatecode setup` writes into the unit when run from this release
  const items = await runChecks(config, probes, { ...DEFAULT_PATHS, node: process.execPath, appDir: packageRoot() });
  const w = worst(items);
  if (values.json) {
    process.stdout.write(JSON.stringify({ worst: w, items }) + '\n');
  } else {
    const mark = { green: 'green ', yellow: 'yellow', red: 'red   ' } as const;
    for (const i of items) process.stdout.write(`${mark[i.level]}  ${i.id.padEnd(14)} ${i.detail}\n`);
  }
  return EXIT[w];
}
