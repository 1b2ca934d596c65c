// bench:sync — a gate's revocation sync against a real server holding a large list in partitions (issue 16).
//
// The server is a spawned `gatecode server` on 127.0.0.1 (its CPU and memory apart from the device's); its data
// dir is seeded with --ids revocations in a child process (bench/sync-seed.ts). The device is this process: a real
// SQLite store file, enrolled, synced by the SyncClient through a TCP proxy that counts the bytes on the wire.
// Phases:
//   build   the server starts and builds its partitions (in the background): its own figure, and /healthz probed
//           every 20 ms meanwhile (the longest answer is how long its event loop was held);
//   first   the gate's first sync: the manifest and every partition (gzip on the wire);
//   day     --day new ids in one step (a day of changes), the server restarted to take it, the gate's next sync;
//   change  --change new ids in one step, likewise (above 262,144 ids: delta pages, fetched 4 at a time).
// A delta above 64 KiB and delta pages are applied through a staged store update (one short transaction per turn
// of the event loop, published in one): "store apply" is then the time from the stage's begin to its commit.
// During each sync the gate decides a real signed pass every ~1 ms on its own thread: decisions answered, their p99
// (due → answered), the longest event-loop stall, and whether any decision saw half a change. Baselines in the same
// run: /healthz latency on the idle server, the decision latency with no sync running, the list's raw size (16-byte
// id + 4-byte expiry per entry). Ends with one JSON line. `--ids 4000 --day 1000 --change 1000` is a quick run (the test runs that).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openStore } from '../device/store/index.js';
import { SyncClient, type CycleResult } from '../device/sync/client.js';
import { enrol } from '../device/sync/enrolment.js';
import { change, seed, type Seeded } from './sync-seed.js';
import {
  decideWhile,
  probeHealth,
  quantile,
  round,
  startServerChild,
  startWireCounter,
  type DecisionFigures,
  type ServerChild,
} from './sync-wire.js';

const { values } = parseArgs({
  options: {
    ids: { type: 'string', default: '10000000' },
    day: { type: 'string', default: '100000' },
    change: { type: 'string', default: '1000000' },
    // Internal: run the server side in a child process (bench/sync-seed.ts), print its figures as JSON.
    seed: { type: 'string' },
    step: { type: 'string' },
  },
  strict: true,
});
const IDS = Number(values.ids);
const DAY = Number(values.day);
const CHANGE = Number(values.change);
const ok = (n: number) => Number.isSafeInteger(n) && n >= 1000;
if (!ok(IDS) || !ok(DAY) || !ok(CHANGE)) {
  process.stderr.write('usage: bench/sync.ts [--ids N] [--day N] [--change N] (each at least 1000)\n');
  process.exit(2);
}
const EXPIRES = Math.floor(Date.now() / 1000) + 365 * 86_400;
const RAW_ENTRY_BYTES = 20;
const APPLY_TARGET_S = 10;

if (values.seed !== undefined || values.step !== undefined) {
  const t = performance.now();
  const out =
    values.seed !== undefined ? seed(values.seed, IDS, EXPIRES) : change(values.step as string, Number(values.change), EXPIRES);
  process.stdout.write(JSON.stringify({ ...out, ms: performance.now() - t }) + '\n');
  process.exit(0);
}

/** Seed or change in a child process; its figures. */
function serverSide(args: string[]): Seeded & { ms: number } {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`server side ${args.join(' ')} failed (exit ${r.status})`);
  return JSON.parse(r.stdout.toString().trim().split('\n').pop() as string) as Seeded & { ms: number };
}

const kindOf = (f: { partitions: number; pages: number }): string =>
  f.partitions > 0 ? 'partitioned' : f.pages > 0 ? 'delta-page' : 'delta';
const load = (): number => round(os.loadavg()[0] ?? 0, 2);
const mib = (b: number): number => round(b / 1048576, b < 10 * 1048576 ? 2 : 1);
const say = (s: string): boolean => process.stdout.write(s + '\n');

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-bench-sync-'));
  const dataDir = path.join(dir, 'server');
  let server: ServerChild | null = null;
  try {
    say(
      `bench:sync: node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, load ${load()}; ` +
        `${IDS.toLocaleString('en')} ids, a day of ${DAY.toLocaleString('en')}, a change of ${CHANGE.toLocaleString('en')}`,
    );
    const seeded = serverSide(['--seed', dataDir, '--ids', String(IDS)]);
    const seedS = round(seeded.ms / 1000);
    const dbBytes = fs.statSync(path.join(dataDir, 'gatecode.db')).size;
    say(`seed: ${IDS.toLocaleString('en')} revocations in ${seedS} s (database ${mib(dbBytes)} MiB), load ${load()}`);

    /** Start the server, wait for its partitions while probing /healthz. */
    const start = async (port: number) => {
      const t = performance.now();
      const s = await startServerChild(dir, dataDir, port, Math.min(100_000, Math.floor(IDS / 2)));
      const startMs = performance.now() - t;
      const probe = probeHealth(s.url);
      const buildMs = await s.built;
      const health = await probe.stop();
      const fig = {
        startMs: round(startMs),
        buildMs,
        healthzProbes: health.length,
        healthzMaxMs: round(Math.max(...health)),
        healthzP50Ms: round(quantile(health, 0.5), 2),
        memory: s.memory(),
        load: load(),
      };
      say(
        `server: started in ${fig.startMs} ms, partitions built in ${buildMs} ms; /healthz during the build: ` +
          `${health.length} answers, median ${fig.healthzP50Ms} ms, longest ${fig.healthzMaxMs} ms; ` +
          `server RSS ${fig.memory?.rssMb ?? '?'} MB (peak ${fig.memory?.peakMb ?? '?'}), load ${fig.load}`,
      );
      return { s, fig };
    };
    let started = await start(0);
    server = started.s;
    const builds = [started.fig];
    const port = server.port;

    // Baseline: /healthz on the idle server.
    const idle = probeHealth(server.url, 5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const healthIdle = await idle.stop();
    const healthIdleP50 = round(quantile(healthIdle, 0.5), 2);

    const token = fs.readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
    const admin = async <T>(p: string, body: object): Promise<T> => {
      const res = await fetch((server as ServerChild).url + p, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`${p}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const { enrolmentUri } = await admin<{ enrolmentUri: string }>('/api/admin/enrolments', { ttlSeconds: 600 });
    const { text: passText } = await admin<{ text: string }>('/api/admin/passes', {
      colour: 'green',
      validForSeconds: 86_400,
      scope: 'all',
    });
    const store = openStore(path.join(dir, 'device.db'));
    await enrol({ store, uri: enrolmentUri, name: 'bench gate' });

    const wire = await startWireCounter(port);
    let partitionsFetched = 0;
    let pagesFetched = 0;
    const fetchErrors: string[] = [];
    const client = new SyncClient(
      {
        store,
        fetch: async (url, init) => {
          const u = String(url).replace(/^http:\/\/127\.0\.0\.1:\d+/, wire.url);
          if (u.includes('/revocations/partitions/')) partitionsFetched++;
          if (u.includes('/revocations/pages/')) pagesFetched++;
          try {
            return await globalThis.fetch(u, init);
          } catch (err) {
            fetchErrors.push(`${new URL(u).pathname}: ${(err as Error).message}`);
            throw err;
          }
        },
      },
      { pollIntervalSeconds: 30 },
    );
    // The store's apply, timed where the device calls it: a one-transaction apply, or a stage from begin to commit.
    let applyMs = 0;
    const hooks = store as unknown as Record<string, (...a: unknown[]) => unknown>;
    const begin = store.beginRevocationStage.bind(store);
    store.beginRevocationStage = (target) => {
      const t = performance.now();
      const stage = begin(target);
      return {
        ...stage,
        commit: (receivedAt, inside) => {
          stage.commit(receivedAt, inside);
          applyMs += performance.now() - t;
        },
      };
    };
    for (const k of ['applyRevocations', 'applyRevocationPartitions']) {
      const orig = (hooks[k] as (...a: unknown[]) => unknown).bind(store);
      hooks[k] = (...a: unknown[]) => {
        const t = performance.now();
        try {
          return orig(...a);
        } finally {
          applyMs += performance.now() - t;
        }
      };
    }

    // Baseline: decisions with nothing else running.
    const quiet = decideWhile(store, passText, { pair: [seeded.sample[0], seeded.sample[1]], held: null });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const decideIdle = quiet.stop();

    const sync = async (name: string, watch: { pair: readonly [string, string]; held: string | null }) => {
      wire.reset();
      partitionsFetched = 0;
      pagesFetched = 0;
      applyMs = 0;
      let rssPeak = process.memoryUsage().rss;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
      const decisions = decideWhile(store, passText, watch);
      const t = performance.now();
      // A failed cycle is retried (up to 3 times), as a gate's next polls would; the failures are reported with the
      // figures. The server makes a large delta page set once, in the background of the first request for it, so a
      // request that times out while it is made (device timeout 20 s) finds it ready at a later poll.
      const failures: string[] = [];
      let r: CycleResult = await client.syncNow();
      while (!r.ok && r.error && failures.length < 3) {
        failures.push(`${r.error.code} ${r.error.message}`);
        say(`${name}: the sync failed (${failures.at(-1)}); fetch errors: ${fetchErrors.join('; ') || 'none'}; again`);
        r = await client.syncNow();
      }
      const ms = performance.now() - t;
      const d: DecisionFigures = decisions.stop();
      clearInterval(sampler);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const rev = r.revocations[0];
      if (!r.ok || typeof rev !== 'object' || rev.kind !== 'applied')
        throw new Error(`${name}: ${r.error ? `${r.error.code} ${r.error.message}` : JSON.stringify(r.revocations)}`);
      const { up, down } = wire.bytes();
      const fig = {
        seconds: round(ms / 1000, 2),
        bytesDown: down,
        bytesUp: up,
        partitions: partitionsFetched,
        pages: pagesFetched > 0 ? pagesFetched + 1 : 0,
        failures,
        applyS: applyMs > 0 ? round(applyMs / 1000, 2) : null,
        rssPeakMb: round(rssPeak / 1048576),
        maxRssMb: round(process.resourceUsage().maxRSS / 1024),
        decisions: d,
        load: load(),
      };
      say(
        `${name}: ${fig.seconds} s, ${mib(down)} MiB down / ${round(up / 1024)} KiB up on the wire, ` +
          `${partitionsFetched} partitions, ${fig.pages} delta pages, store apply ${fig.applyS ?? '?'} s; device RSS peak ${fig.rssPeakMb} MB; ` +
          `decisions ${d.answered}, p50 ${d.p50Ms} ms, p99 ${d.p99Ms} ms, longest ${d.maxMs} ms, event loop held ` +
          `${d.longestStallMs} ms at most, half-applied seen ${d.half}, held id missing ${d.missing}; load ${fig.load}`,
      );
      return fig;
    };

    const first = await sync('first sync', { pair: [seeded.sample[0], seeded.sample[1]], held: null });
    if (!seeded.sample.every((id) => store.isRevoked(id))) throw new Error('first sync: a seeded id is missing');
    const firstRaw = IDS * RAW_ENTRY_BYTES;
    say(
      `  baseline: the list's raw content (${RAW_ENTRY_BYTES} B an entry) ${mib(firstRaw)} MiB; on the wire ` +
        `${round(first.bytesDown / firstRaw, 2)}× that`,
    );

    const restartWith = async (count: number): Promise<Seeded> => {
      await (server as ServerChild).stop();
      server = null;
      const step = serverSide(['--step', dataDir, '--change', String(count)]);
      say(`  server side: a step of ${count.toLocaleString('en')} ids in ${round(step.ms / 1000, 1)} s; restarting`);
      started = await start(port);
      server = started.s;
      builds.push(started.fig);
      return step;
    };

    const dayStep = await restartWith(DAY);
    const day = await sync('day of changes', { pair: [dayStep.sample[0], dayStep.sample[1]], held: seeded.sample[2] });
    say(
      `  baseline: the day's raw content ${mib(DAY * RAW_ENTRY_BYTES)} MiB; on the wire ` +
        `${round(day.bytesDown / (DAY * RAW_ENTRY_BYTES), 2)}× that`,
    );
    const bigStep = await restartWith(CHANGE);
    const big = await sync('change', { pair: [bigStep.sample[0], bigStep.sample[1]], held: seeded.sample[2] });
    const applied = big.applyS ?? big.seconds;
    say(
      `  target: a ${CHANGE.toLocaleString('en')}-id change applied in ≤ ${APPLY_TARGET_S} s: ${applied} s ` +
        `(${round((applied / APPLY_TARGET_S) * 100)} % of the target); on the wire ` +
        `${round(big.bytesDown / (CHANGE * RAW_ENTRY_BYTES), 2)}× the change's raw content`,
    );
    const allHeld = [...dayStep.sample, ...bigStep.sample].every((id) => store.isRevoked(id));
    if (!allHeld) throw new Error('an id of a synced step is missing on the device');

    await client.stop();
    await wire.close();
    store.close();
    const figures = {
      bench: 'sync',
      ids: IDS,
      dayIds: DAY,
      changeIds: CHANGE,
      cpus: os.cpus().length,
      seedSeconds: seedS,
      databaseBytes: dbBytes,
      server: builds,
      healthzIdleP50Ms: healthIdleP50,
      decideIdle,
      first,
      firstRawBytes: firstRaw,
      day: { ...day, kind: kindOf(day) },
      change: { ...big, kind: kindOf(big) },
      changeApplyTargetS: APPLY_TARGET_S,
      neverHalf: [first, day, big].every((f) => f.decisions.half === 0 && f.decisions.missing === 0),
      loadavg: os.loadavg().map((x) => round(x, 2)),
    };
    say(JSON.stringify(figures));
  } finally {
    await (server as ServerChild | null)?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
