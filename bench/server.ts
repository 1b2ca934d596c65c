// bench/server: not-modified polls per second and p99 latency against one `gatecode server` process on loopback,
// measured with autocannon beside a baseline in the same run (GET /healthz, and the full 200 bundle fetch), in
// interleaved rounds (the median of each is compared); a 100,000-id revocation delta: time to build and sign it,
// to serve it, its bytes, and the device's verify; then a simulation of GATES gates (default 10,000) polling on
// their jittered schedule, time compressed by GATES_TIME_SCALE (bench/server-gates.ts), with the latency the
// gates see and the server's CPU use. Each load run also reads the server process's CPU time (/proc, Linux) and
// divides it by the requests answered: the server's cost per request, which the other work on a shared machine
// moves far less than the requests per second (those depend on how much of a core the server gets). Prints
// figures as it goes and ends with one JSON line.
// Environment: BENCH_SECONDS (each load run, default 4), GATES, GATES_SECONDS (default 45), GATES_TIME_SCALE
// (default 1, the real 30 s interval; 3 runs it as 10 s, three times the rate), GATES_SOCKETS (default 256).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodePublicKey, signRevocations, verifyBundle, verifyRevocations } from '../protocol/index.js';
import { parseConfig } from '../sync-server/config.js';
import { createApp } from '../sync-server/http/app.js';
import { RevocationLog } from '../sync-server/revocation-log.js';
import { openServer } from '../sync-server/server.js';
import { cpuSeconds, runGateFleet, seedGates } from './server-gates.js';

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Cannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
}) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 4);
const ROUNDS = 3;
const CONNECTIONS = 10;
const BIG_DELTA = 100_000;
const GATES = Number(process.env['GATES'] ?? 10_000);
const GATES_SECONDS = Number(process.env['GATES_SECONDS'] ?? 45);
const GATES_TIME_SCALE = Number(process.env['GATES_TIME_SCALE'] ?? 1);
const GATES_SOCKETS = Number(process.env['GATES_SOCKETS'] ?? 256);
/** The device's default poll interval and jitter (device/sync/options.ts). */
const POLL_SECONDS = 30;
const POLL_JITTER = 0.2;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function seed(
  dataDir: string,
): Promise<{ deviceToken: string; seqBefore: number; bigSeq: number; gateTokens: string[] }> {
  const config = parseConfig({ dataDir, logLevel: 'silent' });
  const opened = openServer(config);
  const app = createApp(opened.services);
  const admin = fs.readFileSync(opened.tokenFile, 'utf8').trim();
  const json = { 'Content-Type': 'application/json' };
  const enr = (await (
    await app.request('/api/admin/enrolments', {
      method: 'POST',
      headers: { ...json, Authorization: `Bearer ${admin}` },
      body: '{}',
    })
  ).json()) as { code: string };
  const dev = (await (
    await app.request('/api/device/enrol', { method: 'POST', headers: json, body: JSON.stringify({ code: enr.code }) })
  ).json()) as { token: string };
  for (const colour of ['green', 'yellow', 'red']) {
    await app.request('/api/admin/passes', {
      method: 'POST',
      headers: { ...json, Authorization: `Bearer ${admin}` },
      body: JSON.stringify({ colour, validForSeconds: 86400 }),
    });
  }
  const core = opened.services.core;
  const seqBefore = core.revocations.seq();
  const expiresAt = core.now() + 30 * 86400;
  const entries = Array.from({ length: BIG_DELTA }, () => ({
    revocationId: randomBytes(16).toString('hex'),
    expiresAt,
  }));
  const bigSeq = core.change({ revocations: true }, (now) => core.revocations.addStep(entries, now));
  const gateTokens = seedGates(core.db, GATES, core.now());
  core.close();
  return { deviceToken: dev.token, seqBefore, bigSeq, gateTokens };
}

/**
 * Build and sign the big delta with a cold cache, in this process; and, for the split, time protocol's
 * signRevocations alone on the same entries (the rest is the SQLite read).
 */
function buildBigDelta(dataDir: string, since: number): { ms: number; signMs: number; bytes: number } {
  const opened = openServer(parseConfig({ dataDir, logLevel: 'silent' }));
  const core = opened.services.core;
  const log = new RevocationLog(core.db, core.keys);
  const t0 = performance.now();
  const art = log.artefact(since, core.now());
  const ms = performance.now() - t0;
  const added = (
    core.db.prepare('SELECT revocation_id, expires_at FROM revocation_log WHERE seq > ?').all(since) as {
      revocation_id: string;
      expires_at: number;
    }[]
  ).map((r) => ({ revocationId: r.revocation_id, expiresAt: r.expires_at }));
  const t1 = performance.now();
  signRevocations(
    { kind: 'delta', logId: art.logId, fromSeq: since, toSeq: art.toSeq, issuedAt: core.now(), added, removed: [] },
    core.keys.root(),
  );
  const signMs = performance.now() - t1;
  core.close();
  return { ms, signMs, bytes: art.bytes.length };
}

async function startChild(dir: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const cfg = path.join(dir, 'server.json');
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      dataDir: path.join(dir, 'data'),
      port: 0,
      logLevel: 'warn',
      rateLimit: { perAddress: { ratePerSecond: 1e6, burst: 1e6 }, perToken: { ratePerSecond: 1e6, burst: 1e6 } },
    }),
  );
  const child = spawn(process.execPath, [path.resolve('bin/gatecode.js'), 'server', '--config', cfg], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return {
    url,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface LoadResult {
  rps: number;
  p99: number;
  p50: number;
  /** Server CPU time per request answered, µs. */
  cpuUs: number;
}

async function load(
  name: string,
  url: string,
  headers: Record<string, string>,
  expectStatus: string,
  serverPid: number,
): Promise<LoadResult> {
  const cpu0 = cpuSeconds(serverPid);
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  const cpuUs = ((cpuSeconds(serverPid) - cpu0) / Math.max(1, r.requests.total)) * 1e6;
  const codes = Object.keys(r.statusCodeStats);
  if (codes.length !== 1 || codes[0] !== expectStatus || r.errors > 0) {
    throw new Error(
      `${name}: expected only ${expectStatus}, got ${JSON.stringify(r.statusCodeStats)} errors ${r.errors}`,
    );
  }
  return { rps: r.requests.average, p99: r.latency.p99, p50: r.latency.p50, cpuUs };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-bench-'));
  try {
    process.stdout.write(
      `bench/server: ${os.cpus().length} cores, node ${process.version}, ${CONNECTIONS} connections, ${ROUNDS}×${SECONDS}s per scenario\n`,
    );
    const dataDir = path.join(dir, 'data');
    const { deviceToken, seqBefore, bigSeq, gateTokens } = await seed(dataDir);
    const build = buildBigDelta(dataDir, seqBefore);
    process.stdout.write(
      `100k delta: built and signed in ${round(build.ms)} ms (protocol signRevocations alone ${round(build.signMs)} ms), ${build.bytes} bytes\n`,
    );

    const server = await startChild(dir);
    try {
      const auth = { Authorization: `Bearer ${deviceToken}` };
      const first = await fetch(`${server.url}/api/device/bundle`, { headers: auth });
      const etag = first.headers.get('etag') as string;
      const bundleBytes = (await first.arrayBuffer()).byteLength;

      // The big delta over HTTP: the first request since the server started (its publish step has signed it).
      const t0 = performance.now();
      const res = await fetch(`${server.url}/api/device/revocations?since=${seqBefore}`, { headers: auth });
      const deltaBytes = new Uint8Array(await res.arrayBuffer());
      const serveMs = performance.now() - t0;
      const root = decodePublicKey(fs.readFileSync(path.join(dataDir, 'keys', 'root.pub'), 'utf8'));
      const bundle = verifyBundle(
        new Uint8Array(await (await fetch(`${server.url}/api/device/bundle`, { headers: auth })).arrayBuffer()),
        root,
      );
      const t1 = performance.now();
      const delta = verifyRevocations(deltaBytes, { rootPublicKey: root, bundle, currentSeq: seqBefore });
      const verifyMs = performance.now() - t1;
      if (delta.added.length !== BIG_DELTA || delta.toSeq !== bigSeq) throw new Error('big delta: wrong content');
      process.stdout.write(
        `100k delta: served in ${round(serveMs)} ms (${deltaBytes.length} bytes), device verify+decode ${round(verifyMs)} ms\n`,
      );

      const revQuery = `since=${res.headers.get('gatecode-revocation-seq')}&log=${res.headers.get('gatecode-log-id')}`;
      const scenarios = {
        healthz: () => load('healthz', `${server.url}/healthz`, {}, '200', server.pid),
        bundle304: () =>
          load('bundle 304', `${server.url}/api/device/bundle`, { ...auth, 'If-None-Match': etag }, '304', server.pid),
        revocations304: () =>
          load('revocations 304', `${server.url}/api/device/revocations?${revQuery}`, auth, '304', server.pid),
        freshness: () => load('freshness', `${server.url}/api/device/freshness`, auth, '200', server.pid),
        fullBundle: () => load('bundle 200', `${server.url}/api/device/bundle`, auth, '200', server.pid),
      };
      type Name = keyof typeof scenarios;
      const results = Object.fromEntries(
        Object.keys(scenarios).map((k) => [
          k,
          { rps: [] as number[], p99: [] as number[], p50: [] as number[], cpuUs: [] as number[] },
        ]),
      ) as Record<Name, { rps: number[]; p99: number[]; p50: number[]; cpuUs: number[] }>;
      await scenarios.healthz(); // warm-up (JIT, connections)
      for (let i = 0; i < ROUNDS; i++) {
        for (const [name, fn] of Object.entries(scenarios) as [Name, () => Promise<LoadResult>][]) {
          const r = await fn();
          results[name].rps.push(r.rps);
          results[name].p99.push(r.p99);
          results[name].p50.push(r.p50);
          results[name].cpuUs.push(r.cpuUs);
          process.stdout.write(
            `  round ${i + 1} ${name.padEnd(14)} ${round(r.rps, 0)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ` +
              `server ${round(r.cpuUs)} µs CPU/request\n`,
          );
        }
      }
      const med = (k: Name) => ({
        rps: round(median(results[k].rps), 0),
        p99: median(results[k].p99),
        p50: median(results[k].p50),
        cpuUs: round(median(results[k].cpuUs)),
      });
      const hz = med('healthz');
      const nm = med('bundle304');
      const rv = med('revocations304');
      const fr = med('freshness');
      const fb = med('fullBundle');
      const ratio = (x: number) => round(x / hz.rps, 3);
      /** /healthz's cost over this one: 1 when a request costs the server what /healthz costs. */
      const cost = (us: number) => round(hz.cpuUs / us, 3);
      process.stdout.write(
        `ceiling /healthz ${hz.rps} req/s p99 ${hz.p99} ms\n` +
          `not-modified polls: bundle 304 ${nm.rps} req/s p99 ${nm.p99} ms (ratio ${ratio(nm.rps)}); ` +
          `revocations 304 ${rv.rps} req/s p99 ${rv.p99} ms (ratio ${ratio(rv.rps)}); target ratio ≥ 0.8\n` +
          `freshness 200 (prepared statement) ${fr.rps} req/s p99 ${fr.p99} ms (ratio ${ratio(fr.rps)}); ` +
          `full bundle 200 (${bundleBytes} B) ${fb.rps} req/s p99 ${fb.p99} ms\n` +
          `server CPU per request: /healthz ${hz.cpuUs} µs; bundle 304 ${nm.cpuUs} µs (/healthz's over it ` +
          `${cost(nm.cpuUs)}); revocations 304 ${rv.cpuUs} µs (${cost(rv.cpuUs)}); freshness ${fr.cpuUs} µs ` +
          `(${cost(fr.cpuUs)}); full bundle ${fb.cpuUs} µs\n`,
      );

      process.stdout.write(
        `gates: ${GATES} gates, poll ${POLL_SECONDS} s ± ${POLL_JITTER * 100} % compressed ${GATES_TIME_SCALE}× ` +
          `(${round(POLL_SECONDS / GATES_TIME_SCALE)} s), ${GATES_SECONDS} s, ${GATES_SOCKETS} sockets, ` +
          `cycle = bundle, revocations, freshness, heartbeat\n`,
      );
      const fleet = await runGateFleet({
        url: server.url,
        tokens: gateTokens,
        serverPid: server.pid,
        intervalSeconds: POLL_SECONDS,
        jitter: POLL_JITTER,
        timeScale: GATES_TIME_SCALE,
        seconds: GATES_SECONDS,
        sockets: GATES_SOCKETS,
        held: {
          etag,
          since: Number(res.headers.get('gatecode-revocation-seq')),
          log: res.headers.get('gatecode-log-id') as string,
        },
      });
      process.stdout.write(
        `gates: ${fleet.cycles} cycles, ${fleet.requests} requests (${fleet.requestsPerSecond}/s, as ` +
          `${GATES * GATES_TIME_SCALE} gates at ${POLL_SECONDS} s), errors ${fleet.errors}, p50 ${fleet.p50Ms} ms ` +
          `p99 ${fleet.p99Ms} ms max ${fleet.maxMs} ms, late cycles ${fleet.lateCycles}, ` +
          `server CPU ${fleet.serverCpuPercent} % of one core, ${fleet.serverCpuUsPerRequest} µs a request ` +
          `(the gates' own process ${fleet.clientCpuPercent} %)\n`,
      );
      const figures = {
        bench: 'server',
        load: os.loadavg().map((x) => round(x, 2)),
        connections: CONNECTIONS,
        secondsPerRun: SECONDS,
        rounds: ROUNDS,
        baselineHealthzRps: hz.rps,
        baselineHealthzP99Ms: hz.p99,
        notModifiedRps: nm.rps,
        notModifiedP50Ms: nm.p50,
        notModifiedP99Ms: nm.p99,
        ratioToHealthz: ratio(nm.rps),
        revocations304Rps: rv.rps,
        revocations304P99Ms: rv.p99,
        revocations304Ratio: ratio(rv.rps),
        healthzCpuUs: hz.cpuUs,
        notModifiedCpuUs: nm.cpuUs,
        notModifiedCpuRatio: cost(nm.cpuUs),
        revocations304CpuUs: rv.cpuUs,
        revocations304CpuRatio: cost(rv.cpuUs),
        freshnessCpuUs: fr.cpuUs,
        freshnessRps: fr.rps,
        freshnessRatio: ratio(fr.rps),
        fullBundleRps: fb.rps,
        fullBundleP99Ms: fb.p99,
        bundleBytes,
        targetRatio: 0.8,
        meetsTarget: ratio(nm.rps) >= 0.8 && ratio(rv.rps) >= 0.8,
        delta100kIds: BIG_DELTA,
        delta100kBuildSignMs: round(build.ms),
        delta100kSignOnlyMs: round(build.signMs),
        delta100kServeMs: round(serveMs),
        delta100kBytes: deltaBytes.length,
        delta100kVerifyMs: round(verifyMs),
        gates: { ...fleet, timeScale: GATES_TIME_SCALE, pollSeconds: POLL_SECONDS, seconds: GATES_SECONDS },
      };
      process.stdout.write(JSON.stringify(figures) + '\n');
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
