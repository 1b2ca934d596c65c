// bench:remote-open — latency of a remote open from the admin API call to the relay command, on loopback: a real
// sync server (in process), a real device (startDevice on simulated GPIO, camera and LEDs) enrolled with it, the
// real push channel between them. N opens one after the other; for each, the time from just before the admin
// POST to the moment the simulated relay is told to pulse, and to the admin answer (which waits for the device's
// ack). Baseline from the same run: a bare loopback HTTP round trip to the same server (GET /healthz). Target:
// p95 ≤ 300 ms. Usage: tsx bench/remote-open.ts [--n 50]. Ends with one JSON line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startDevice, STORE_FILE } from '../device/boot.js';
import { parseConfig as parseDeviceConfig } from '../device/config.js';
import { openStore } from '../device/store/index.js';
import { enrol } from '../device/sync/enrolment.js';
import { parseConfig } from '../sync-server/config.js';
import { startServer } from '../sync-server/server.js';

const TARGET_P95_MS = 300;
const { values } = parseArgs({ options: { n: { type: 'string', default: '50' } } });
const N = Number(values.n);
if (!Number.isInteger(N) || N < 1) throw new Error('--n: expected a whole number ≥ 1');

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
};
const round = (x: number): number => Math.round(x * 100) / 100;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-bench-remote-'));
const server = await startServer(
  parseConfig({
    dataDir: path.join(dir, 'server'),
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    rateLimit: { perAddress: { ratePerSecond: 1000, burst: 10_000 }, perToken: { ratePerSecond: 1000, burst: 10_000 } },
  }),
);
const token = fs.readFileSync(server.tokenFile, 'utf8').trim();
const admin = async (p: string, body: object) => {
  const res = await fetch(server.url + p, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const dataDir = path.join(dir, 'device');
const store = openStore(path.join(dataDir, STORE_FILE));
const uri = (await admin('/api/admin/enrolments', { ttlSeconds: 600 })).body['enrolmentUri'] as string;
await enrol({ store, uri, name: 'bench gate' });
store.close();
const device = await startDevice(
  parseDeviceConfig(
    {
      site: 'bench',
      gate: 'g1',
      dataDir,
      camera: { source: 'sim' },
      hardware: { gpio: 'sim', leds: 'sim' },
      decoder: { worker: false },
      sync: { pollIntervalSeconds: 3600 },
    },
    { baseDir: dir },
  ),
  { log: pino({ level: 'silent' }) },
);

try {
  const deadline = Date.now() + 15_000;
  while (server.services.push.connected().length === 0) {
    if (Date.now() > deadline) throw new Error('the device did not open its push channel');
    await new Promise((r) => setTimeout(r, 10));
  }
  // The moment the relay is told to pulse, from the simulated GPIO's record of pulse requests.
  const gpio = device.hardware.sim?.gpio;
  if (!gpio) throw new Error('no simulated GPIO');
  const relayAt: number[] = [];
  const push = gpio.pulses.push.bind(gpio.pulses);
  gpio.pulses.push = (...items) => {
    relayAt.push(performance.now());
    return push(...items);
  };

  // Warm-up (connection pools, JIT), not counted.
  for (let i = 0; i < 3; i++) {
    await fetch(server.url + '/healthz').then((r) => r.arrayBuffer());
    await admin('/api/admin/gates/open', { gate: 'g1' });
  }
  const baseline: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await fetch(server.url + '/healthz').then((r) => r.arrayBuffer());
    baseline.push(performance.now() - t0);
  }
  const toRelay: number[] = [];
  const toAnswer: number[] = [];
  for (let i = 0; i < N; i++) {
    relayAt.length = 0;
    const t0 = performance.now();
    const r = await admin('/api/admin/gates/open', { gate: 'g1' });
    const t1 = performance.now();
    if (r.status !== 200 || r.body['result'] !== 'done' || relayAt.length !== 1)
      throw new Error(`open ${i}: ${r.status} ${JSON.stringify(r.body)}, relay pulses ${relayAt.length}`);
    toRelay.push((relayAt[0] as number) - t0);
    toAnswer.push(t1 - t0);
  }

  const figures = {
    bench: 'remote-open',
    n: N,
    relayMedianMs: round(quantile(toRelay, 0.5)),
    relayP95Ms: round(quantile(toRelay, 0.95)),
    answerMedianMs: round(quantile(toAnswer, 0.5)),
    answerP95Ms: round(quantile(toAnswer, 0.95)),
    baselineMedianMs: round(quantile(baseline, 0.5)),
    baselineP95Ms: round(quantile(baseline, 0.95)),
    ratioMedian: round(quantile(toRelay, 0.5) / quantile(baseline, 0.5)),
    targetP95Ms: TARGET_P95_MS,
    withinTarget: quantile(toRelay, 0.95) <= TARGET_P95_MS,
  };
  process.stdout.write(
    [
      `remote open, admin API call → relay command, ${N} opens on loopback (real server, device, push channel):`,
      `  to the relay:          median ${figures.relayMedianMs} ms, p95 ${figures.relayP95Ms} ms (target p95 ≤ ${TARGET_P95_MS} ms: ${figures.withinTarget ? 'met' : 'MISSED'})`,
      `  to the admin's answer: median ${figures.answerMedianMs} ms, p95 ${figures.answerP95Ms} ms (includes the device's ack)`,
      `  baseline, a bare loopback HTTP round trip: median ${figures.baselineMedianMs} ms, p95 ${figures.baselineP95Ms} ms`,
      `  median ratio to the baseline: ${figures.ratioMedian}×`,
      JSON.stringify(figures),
      '',
    ].join('\n'),
  );
} finally {
  await device.stop();
  await server.close(100);
  fs.rmSync(dir, { recursive: true, force: true });
}
