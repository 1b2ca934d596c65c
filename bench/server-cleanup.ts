// bench/server-cleanup: the cost of deleting old events and idempotency keys on the upload path, at 1,000,000
// rows. Issue 11 found them deleted by a full scan of `event_batches` (no index on received_at): 132 ms per upload
// at 1 M rows, on the server's one thread. The clean-up now goes by index, at most CLEAN_BATCH rows of each per
// upload (sync-server/devices.ts).
//
// One real SQLite file (the server's own schema, opened by openServer) is filled with `--rows` events and as many
// idempotency keys, then `--uploads` uploads of one event each go through the HTTP app (auth, schema, quota,
// clean-up, insert; in process, no socket) twice on the same file:
//   baseline  the server's clock at the fill time: nothing has expired, nothing to clean;
//   due       the clock 8 days later: every row has expired, each upload deletes CLEAN_BATCH of each.
// And as the reference, on the same file, the old statement: a full-scan delete of expired idempotency keys (the
// index dropped in a transaction that is rolled back) with nothing due, as every upload ran it; and the old code's
// first upload after a backlog expired: every expired row deleted at once (also rolled back).
// Prints the figures as it goes and ends with one JSON line. `--rows 2000 --uploads 20` is a quick check.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Clock } from '../common/clock.js';
import { parseConfig } from '../sync-server/config.js';
import { CLEAN_BATCH } from '../sync-server/devices.js';
import { createApp } from '../sync-server/http/app.js';
import { openServer } from '../sync-server/server.js';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, uploads: { type: 'string', default: '300' } },
});
const ROWS = Number(values.rows);
const UPLOADS = Number(values.uploads);
if (!Number.isInteger(ROWS) || ROWS < 1 || !Number.isInteger(UPLOADS) || UPLOADS < 1) {
  process.stderr.write('usage: bench/server-cleanup.ts [--rows N] [--uploads N]\n');
  process.exit(2);
}
const RETENTION = 7 * 86_400;
const FILL_CHUNK = 50_000;

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

/** A clock the bench moves: the server reads it for `now` (and so for the clean-up's cutoff). */
let offsetMs = 0;
const clock: Clock = {
  now: () => Date.now() + offsetMs,
  setTimer: (ms, fn) => {
    const h = setTimeout(fn, ms);
    h.unref();
    return () => clearTimeout(h);
  },
};

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-bench-cleanup-'));
  try {
    const config = parseConfig({
      dataDir: path.join(dir, 'data'),
      logLevel: 'silent',
      publishDelayMs: 0,
      rateLimit: { perAddress: { ratePerSecond: 1e6, burst: 1e6 }, perToken: { ratePerSecond: 1e6, burst: 1e6 } },
      events: { retentionSeconds: RETENTION, perDevice: { ratePerSecond: 1e6, burst: 1e6 }, maxStored: ROWS * 4 },
    });
    const opened = openServer(config, { clock });
    const app = createApp(opened.services);
    const db = opened.services.core.db;
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
    ).json()) as { deviceId: string; token: string };

    // Fill: ROWS events and ROWS idempotency keys of this device, received over the hour before now.
    const fillStart = performance.now();
    const now = Math.floor(clock.now() / 1000);
    const insEvent = db.prepare(
      "INSERT INTO events (device_id, at, colour, reason, pass_hash, direction, opened, not_passed, received_at) VALUES (?, ?, 'green', 'OK', NULL, 'in', 1, 0, ?)",
    );
    const insBatch = db.prepare(
      'INSERT INTO event_batches (device_id, key, body_hash, received_at, count) VALUES (?, ?, ?, ?, 1)',
    );
    const hash = Buffer.alloc(32, 7);
    for (let start = 0; start < ROWS; start += FILL_CHUNK) {
      db.transaction(() => {
        for (let i = start; i < Math.min(ROWS, start + FILL_CHUNK); i++) {
          const at = now - 3600 + Math.floor((i * 3600) / ROWS);
          insEvent.run(dev.deviceId, at, at);
          insBatch.run(dev.deviceId, `fill-${i.toString(36).padStart(8, '0')}`, hash, at);
        }
      })();
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    const fillS = (performance.now() - fillStart) / 1000;
    // The server counts its stored events at start; this fill bypassed it, so reopen to count them.
    opened.services.core.close();
    const server = openServer(config, { clock });
    const api = createApp(server.services);
    const sdb = server.services.core.db;
    const dbBytes = fs.statSync(path.join(config.dataDir, 'gatecode.db')).size;
    process.stdout.write(
      `filled ${ROWS.toLocaleString('en')} events and ${ROWS.toLocaleString('en')} idempotency keys in ${round(fillS, 1)} s ` +
        `(database ${round(dbBytes / 1048576, 1)} MiB)\n`,
    );

    let n = 0;
    const upload = async (): Promise<number> => {
      const body = JSON.stringify({
        events: [{ at: Math.floor(clock.now() / 1000), colour: 'green', reason: 'OK', passHash: null, direction: 'in', opened: true }],
      });
      const t = performance.now();
      const res = await api.request('/api/device/events', {
        method: 'POST',
        headers: { ...json, Authorization: `Bearer ${dev.token}`, 'Idempotency-Key': `bench-upload-${++n}` },
        body,
      });
      const ms = performance.now() - t;
      if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
      return ms;
    };
    const count = (table: string) => (sdb.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const run = async (): Promise<{ median: number; p99: number }> => {
      for (let i = 0; i < Math.min(10, UPLOADS); i++) await upload(); // warm the statements and the page cache
      const ms: number[] = [];
      for (let i = 0; i < UPLOADS; i++) ms.push(await upload());
      return { median: round(quantile(ms, 0.5), 3), p99: round(quantile(ms, 0.99), 3) };
    };

    const baseline = await run();
    const keptBaseline = count('event_batches');
    process.stdout.write(
      `baseline, nothing to clean: upload median ${baseline.median} ms, p99 ${baseline.p99} ms (${UPLOADS} uploads)\n`,
    );

    // Reference: the old per-upload statement, a full scan with nothing due, on the table as it was (no index on
    // received_at): inside a transaction that drops the index, timed from after the drop, rolled back.
    const oldCutoff = now - 2 * 86_400; // nothing filled is older than this
    const scans: number[] = [];
    for (let i = 0; i < Math.max(5, Math.min(21, UPLOADS)); i++) {
      sdb.exec('BEGIN');
      try {
        sdb.exec('DROP INDEX event_batches_received');
        const scan = sdb.prepare('DELETE FROM event_batches WHERE received_at < ?');
        const t = performance.now();
        scan.run(oldCutoff);
        scans.push(performance.now() - t);
      } finally {
        sdb.exec('ROLLBACK');
      }
    }
    const oldScanMs = round(quantile(scans, 0.5), 3);
    process.stdout.write(
      `reference, the old full-scan delete with nothing due: ${oldScanMs} ms per upload (median of ${scans.length})\n`,
    );
    offsetMs = (RETENTION + 86_400) * 1000; // every filled row has expired
    // The old code's first upload once the backlog had expired: every expired row of both tables at once.
    const cutoff = Math.floor(clock.now() / 1000) - RETENTION;
    let t = 0;
    let backlogMs = 0;
    sdb.exec('BEGIN');
    try {
      sdb.exec('DROP INDEX event_batches_received');
      const [events, batches] = [
        sdb.prepare('DELETE FROM events WHERE received_at < ?'),
        sdb.prepare('DELETE FROM event_batches WHERE received_at < ?'),
      ];
      t = performance.now();
      events.run(cutoff);
      batches.run(cutoff);
      backlogMs = performance.now() - t;
    } finally {
      sdb.exec('ROLLBACK');
    }
    const oldBacklogMs = round(backlogMs, 1);
    process.stdout.write(
      `reference, the old first upload after the backlog expired (all of it deleted at once): ${oldBacklogMs} ms\n`,
    );
    const batchesBefore = count('event_batches');
    const due = await run();
    const cleaned = batchesBefore + Math.min(10, UPLOADS) + UPLOADS - count('event_batches'); // each upload adds one
    process.stdout.write(
      `clean-up due: upload median ${due.median} ms, p99 ${due.p99} ms; ${cleaned.toLocaleString('en')} idempotency keys ` +
        `deleted over the uploads (at most ${CLEAN_BATCH} of each table per upload)\n`,
    );

    server.services.core.close();

    const figures = {
      bench: 'server-cleanup',
      rows: ROWS,
      uploads: UPLOADS,
      cleanBatch: CLEAN_BATCH,
      fillSeconds: round(fillS, 1),
      databaseBytes: dbBytes,
      baselineMedianMs: baseline.median,
      baselineP99Ms: baseline.p99,
      dueMedianMs: due.median,
      dueP99Ms: due.p99,
      dueCleanedKeys: cleaned,
      keptWithNothingDue: keptBaseline >= ROWS,
      ratioDueToBaseline: round(due.median / baseline.median, 2),
      oldFullScanMs: oldScanMs,
      oldBacklogDeleteMs: oldBacklogMs,
    };
    process.stdout.write(JSON.stringify(figures) + '\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
