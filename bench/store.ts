// bench:store — the device store with a million revocation ids, on a real SQLite file in a temp directory.
// Figures: per-lookup latency (prepared statement) against the same query prepared on every call and against a JS
// Set holding the same ids, all in this run; the time to apply a 100,000-id delta; process RSS with the list held.
// Targets (issue 4): lookup p99 ≤ 50 µs, 100k-id delta ≤ 2 s, RSS ≤ 150 MB. Run: npm run bench:store
// (node --expose-gc). Options: --ids N (default 1000000), --lookups N (default 200000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openStore } from '../device/store/index.js';
import type { RevocationDelta, RevokedEntry } from '../protocol/types.js';
/** The store keeps the history id; one fixed id for the whole run. */
const LOG_ID = '00112233445566778899aabbccddeeff';

const { values } = parseArgs({
  options: {
    ids: { type: 'string', default: '1000000' },
    lookups: { type: 'string', default: '200000' },
    // Internal: fill FILE with all but the last 100,000 ids, in a child process, so that the memory of the set-up
    // does not count towards the RSS measured.
    fill: { type: 'string' },
    // Internal: open FILE, run the lookups, print the RSS as JSON (a device process that holds the list).
    measure: { type: 'string' },
  },
  strict: true,
});
const TOTAL = Number(values.ids);
const LOOKUPS = Number(values.lookups);
const CHUNK = 100_000;
if (!Number.isSafeInteger(TOTAL) || TOTAL < CHUNK * 2 || TOTAL % CHUNK !== 0)
  throw new Error('--ids: a multiple of 100000, ≥ 200000');

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:store)');

/** A 128-bit id, hex, from (stream, index) by a 32-bit mixing hash: reproducible, so no list of ids is kept. */
function idFor(stream: number, i: number): string {
  let out = '';
  for (let w = 0; w < 4; w++) {
    let h = Math.imul(i ^ Math.imul(stream + w, 0x9e3779b1), 0x85ebca6b) ^ (w * 0x27d4eb2f);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
    h ^= h >>> 15;
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out;
}

function entries(stream: number, from: number, count: number, expiresAt: number): RevokedEntry[] {
  const list: RevokedEntry[] = new Array<RevokedEntry>(count);
  for (let k = 0; k < count; k++) list[k] = { revocationId: idFor(stream, from + k), expiresAt };
  return list;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
const us = (ms: number): number => Math.round(ms * 1000 * 100) / 100;

/**
 * The k-th query id of the run: even k an id held (a hit, at a pseudo-random index), odd k an id never revoked.
 * Generated on the fly, so the run keeps no array of query strings in memory.
 */
function queryId(k: number): string {
  if (k % 2 === 1) return idFor(MISS, k);
  let h = Math.imul(k ^ 0x5bd1e995, 0x2c1b3c6d);
  h ^= h >>> 13;
  return idFor(HELD, (h >>> 0) % TOTAL);
}

/** Time `count` calls of `fn` on the query ids from `first`, each on its own, in ms, sorted. */
function timeEach(first: number, count: number, fn: (id: string) => boolean): { sorted: Float64Array; hits: number } {
  const times = new Float64Array(count);
  let hits = 0;
  for (let k = 0; k < count; k++) {
    const id = queryId(first + k);
    const t0 = performance.now();
    const hit = fn(id);
    times[k] = performance.now() - t0;
    if (hit) hits++;
  }
  return { sorted: times.sort(), hits };
}

const HELD = 1;
const MISS = 2;
const EXPIRES = 4_102_444_800; // 2100-01-01: nothing expires during the run
const ISSUED = 1_800_000_000;

/** Fill the list as a device receives it: one snapshot, then deltas of 100,000 ids. */
function fill(file: string): void {
  const store = openStore(file);
  let seq = 0;
  for (let from = 0; from < TOTAL - CHUNK; from += CHUNK) {
    const added = entries(HELD, from, CHUNK, EXPIRES);
    store.applyRevocations(
      {
        kind: seq === 0 ? 'snapshot' : 'delta',
        logId: LOG_ID,
        fromSeq: seq,
        toSeq: seq + 1,
        issuedAt: ISSUED + seq,
        added,
        removed: [],
      },
      ISSUED + seq,
    );
    seq++;
  }
  store.close();
}

if (values.fill !== undefined) {
  fill(values.fill);
  process.exit(0);
}

if (values.measure !== undefined) {
  const store = openStore(values.measure);
  const r = timeEach(0, LOOKUPS, (id) => store.isRevoked(id));
  gc();
  process.stdout.write(`${JSON.stringify({ rss: process.memoryUsage().rss, p99Ms: quantile(r.sorted, 0.99) })}\n`);
  store.close();
  process.exit(0);
}

/** Wall and CPU (user + system) milliseconds of `fn`. */
function timed(fn: () => void): { wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-bench-store-'));
const file = path.join(dir, 'device.sqlite');
try {
  const loadStart = performance.now();
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, process.argv[1] as string, '--ids', String(TOTAL), '--fill', file],
    { stdio: 'inherit' },
  );
  if (child.status !== 0) throw new Error(`filling the store failed (exit ${child.status})`);
  const loadMs = performance.now() - loadStart;

  gc();
  const rssStart = process.memoryUsage().rss;
  const store = openStore(file);
  const seq = store.revocationSeq();
  /** Apply a delta built by `make` (so the caller keeps no reference to it) and return the milliseconds it took. */
  const timedApply = (make: () => RevocationDelta): { wallMs: number; cpuMs: number } => {
    const delta = make();
    return timed(() => store.applyRevocations(delta, delta.issuedAt));
  };
  const revoke = (stream: number, from: number, count: number, step = 1): RevokedEntry[] =>
    Array.from({ length: count }, (_, k) => ({ revocationId: idFor(stream, from + k * step), expiresAt: EXPIRES }));
  const ids = (stream: number, from: number, count: number, step = 1): string[] =>
    Array.from({ length: count }, (_, k) => idFor(stream, from + k * step));

  // The timed delta: the last 100,000 ids onto the 900,000 held.
  const deltaT = timedApply(() => ({
    kind: 'delta',
    logId: LOG_ID,
    fromSeq: seq,
    toSeq: seq + 1,
    issuedAt: ISSUED + 100,
    added: revoke(HELD, TOTAL - CHUNK, CHUNK),
    removed: [],
  }));
  // A churn delta on the full list: 50,000 removed and 50,000 added, the list stays at its size.
  const churnT = timedApply(() => ({
    kind: 'delta',
    logId: LOG_ID,
    fromSeq: seq + 1,
    toSeq: seq + 2,
    issuedAt: ISSUED + 200,
    added: revoke(MISS + 10, 0, CHUNK / 2),
    removed: ids(HELD, 0, CHUNK / 2, 2),
  }));
  // Undo it, so that every HELD id is revoked again for the lookups.
  timedApply(() => ({
    kind: 'delta',
    logId: LOG_ID,
    fromSeq: seq + 2,
    toSeq: seq + 3,
    issuedAt: ISSUED + 300,
    added: revoke(HELD, 0, CHUNK / 2, 2),
    removed: ids(MISS + 10, 0, CHUNK / 2),
  }));
  const count = store.revocationInfo().count;

  // Lookups: alternately an id held (hit) and one never revoked (miss).
  timeEach(LOOKUPS, 20_000, (id) => store.isRevoked(id)); // warm the page cache and the JIT
  let prepared = timeEach(0, 1, () => false);
  const lookupCpu = timed(() => {
    prepared = timeEach(0, LOOKUPS, (id) => store.isRevoked(id));
  });
  const purge0 = performance.now();
  const purged = store.purgeExpired(ISSUED + 400, 86_400);
  const purgeMs = performance.now() - purge0;
  gc();
  const memStore = process.memoryUsage();
  const rssStore = memStore.rss;
  const peakRss = process.resourceUsage().maxRSS * 1024;

  // Baseline 1: the same query, prepared on every call, on a second connection to the same file.
  const raw = new Database(file, { readonly: true });
  const unprepared = timeEach(
    0,
    LOOKUPS / 4,
    (id) => raw.prepare('SELECT 1 FROM revocations WHERE rid = unhex(?)').pluck().get(id) !== undefined,
  );
  raw.close();
  store.close();
  const fileBytes = fs.statSync(file).size;

  // A device process that opens the store with the full list and serves lookups, without the deltas' JS garbage.
  const measured = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1] as string,
      '--ids',
      String(TOTAL),
      '--lookups',
      String(LOOKUPS),
      '--measure',
      file,
    ],
    { encoding: 'utf8' },
  );
  if (measured.status !== 0) throw new Error(`measuring process failed (exit ${measured.status})`);
  const steady = JSON.parse(measured.stdout.trim()) as { rss: number; p99Ms: number };

  // Baseline 2: every id in a JS Set in memory (what the store replaces), and what it costs in memory.
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const set = new Set<string>();
  for (let i = 0; i < TOTAL; i++) set.add(idFor(HELD, i));
  gc();
  const setHeap = process.memoryUsage().heapUsed - heapBefore;
  const inSet = timeEach(0, LOOKUPS, (id) => set.has(id));

  const p = (s: Float64Array, q: number): number => us(quantile(s, q));
  console.log(
    `device store bench — ${count} revocation ids held, ${LOOKUPS} lookups (half hits), file ${mb(fileBytes)} MB`,
  );
  console.log(
    `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, temp dir on ${os.tmpdir()}`,
  );
  console.log(
    `set-up (child process): ${TOTAL - CHUNK} ids as 1 snapshot + ${TOTAL / CHUNK - 2} deltas of ${CHUNK} in ${Math.round(loadMs)} ms`,
  );
  console.log(
    `delta: ${CHUNK} ids added onto ${TOTAL - CHUNK} held: ${Math.round(deltaT.wallMs)} ms wall, ${Math.round(deltaT.cpuMs)} ms CPU (target ≤ 2000 ms)`,
  );
  console.log(
    `churn delta: ${CHUNK / 2} removed + ${CHUNK / 2} added on ${TOTAL} held: ${Math.round(churnT.wallMs)} ms wall, ${Math.round(churnT.cpuMs)} ms CPU`,
  );
  console.log(
    `load average during the run: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (CPU time is what the store itself costs)`,
  );
  console.log('lookup µs            p50      p99    p99.9      max   hits');
  const row = (name: string, r: { sorted: Float64Array; hits: number }): void =>
    console.log(
      `${name.padEnd(18)} ${String(p(r.sorted, 0.5)).padStart(6)} ${String(p(r.sorted, 0.99)).padStart(8)} ${String(p(r.sorted, 0.999)).padStart(8)} ${String(p(r.sorted, 1)).padStart(8)} ${String(r.hits).padStart(6)}`,
    );
  row('store.isRevoked', prepared);
  row('prepare per call', unprepared);
  row('JS Set (memory)', inSet);
  console.log(
    `lookup p99 ${p(prepared.sorted, 0.99)} µs (target ≤ 50 µs); ${Math.round((quantile(unprepared.sorted, 0.99) / quantile(prepared.sorted, 0.99)) * 10) / 10}× faster than preparing per call`,
  );
  console.log(
    `purge scan of the full list (nothing expired, ${purged.revocations} removed): ${Math.round(purgeMs)} ms`,
  );
  console.log(
    `RSS after the deltas and lookups, list held: ${mb(rssStore)} MB (before opening the store ${mb(rssStart)} MB; target ≤ 150 MB); peak ${mb(peakRss)} MB; V8 heap ${mb(memStore.heapUsed)} MB used of ${mb(memStore.heapTotal)} MB`,
  );
  console.log(
    `RSS of a fresh process that opens the store with ${count} ids and runs the lookups: ${mb(steady.rss)} MB (its lookup p99 ${us(steady.p99Ms)} µs)`,
  );
  console.log(`lookup mean CPU per call (incl. timing): ${us(lookupCpu.cpuMs / LOOKUPS)} µs`);
  console.log(`a JS Set of the same ids needs ${mb(setHeap)} MB of heap`);
  console.log(
    JSON.stringify({
      bench: 'store',
      ids: count,
      lookups: LOOKUPS,
      lookupP50Us: p(prepared.sorted, 0.5),
      lookupP99Us: p(prepared.sorted, 0.99),
      lookupP999Us: p(prepared.sorted, 0.999),
      baselinePreparePerCallP99Us: p(unprepared.sorted, 0.99),
      baselineSetP99Us: p(inSet.sorted, 0.99),
      delta100kMs: Math.round(deltaT.wallMs),
      delta100kCpuMs: Math.round(deltaT.cpuMs),
      churnDelta100kMs: Math.round(churnT.wallMs),
      churnDelta100kCpuMs: Math.round(churnT.cpuMs),
      lookupMeanCpuUs: us(lookupCpu.cpuMs / LOOKUPS),
      steadyRssMb: mb(steady.rss),
      steadyLookupP99Us: us(steady.p99Ms),
      loadAverage1m: Math.round(os.loadavg()[0] ?? 0),
      loadMs: Math.round(loadMs),
      purgeScanMs: Math.round(purgeMs),
      rssMb: mb(rssStore),
      rssBeforeOpenMb: mb(rssStart),
      heapTotalMb: mb(memStore.heapTotal),
      heapUsedMb: mb(memStore.heapUsed),
      setHeapMb: mb(setHeap),
      peakRssMb: mb(peakRss),
      fileMb: mb(fileBytes),
      targets: { lookupP99Us: 50, delta100kMs: 2000, rssMb: 150 },
      pass: quantile(prepared.sorted, 0.99) * 1000 <= 50 && deltaT.wallMs <= 2000 && rssStore <= 150 * 1048576,
    }),
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
