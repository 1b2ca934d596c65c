// bench/sync-seed: the server side of bench:sync, run in child processes so that neither the seeding nor a change
// counts towards the device's memory or thread (bench/sync.ts).
//
// seed    A server data dir (the server's own schema and first start, openServer) given N revocations at once:
//         the `revoked` rows written in large transactions in ascending id order (ids are hashes: the leading
//         32 bits rise evenly over the id space, the other 96 are random), one step of the log (seq, count) whose
//         rows are already compacted away (the floor is that step), as on a server that has held the list for a
//         while. The server's own change path would write every id twice (log and list) one statement at a time.
// change  One step of random new ids through the server's own change path (core.change → RevocationLog.addStep,
//         compaction, publish), on the server's data dir while no server runs on it.
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../sync-server/config.js';
import { setMeta } from '../sync-server/db.js';
import { openServer } from '../sync-server/server.js';

const SEED_CHUNK = 500_000;

export function benchConfig(dataDir: string) {
  return parseConfig({
    dataDir,
    logLevel: 'warn',
    publishDelayMs: 0,
    rateLimit: { perAddress: { ratePerSecond: 1e6, burst: 1e6 }, perToken: { ratePerSecond: 1e6, burst: 1e6 } },
  });
}

export interface Seeded {
  readonly seq: number;
  /** Ids of the step: the lowest, the highest and one from the middle (different partitions). */
  readonly sample: readonly [string, string, string];
}

/** Seed `count` revocations. */
export function seed(dataDir: string, count: number, expiresAt: number): Seeded {
  const opened = openServer(benchConfig(dataDir));
  const core = opened.services.core;
  const db = core.db;
  const seq = core.revocations.seq() + 1;
  const insert = db.prepare('INSERT INTO revoked (revocation_id, expires_at, seq) VALUES (?, ?, ?)');
  const span = 2 ** 32 / count;
  const sample: string[] = [];
  const watched = new Set([0, count - 1, Math.floor(count / 2)]);
  for (let start = 0; start < count; start += SEED_CHUNK) {
    const n = Math.min(SEED_CHUNK, count - start);
    const tail = randomBytes(12 * n).toString('hex');
    db.transaction(() => {
      for (let k = 0; k < n; k++) {
        const i = start + k;
        const head = Math.floor(i * span).toString(16).padStart(8, '0');
        const id = head + tail.slice(k * 24, k * 24 + 24);
        insert.run(id, expiresAt, seq);
        if (watched.has(i)) sample.push(id);
      }
    })();
  }
  db.transaction(() => {
    // The step is compacted (no log rows, no steps row, the floor at it): a device below it gets the whole list.
    setMeta(db, 'revocation_seq', String(seq));
    setMeta(db, 'revocation_floor', String(seq));
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  core.close();
  // Open once more so the publish dir and the server's memo name the seeded step (as a restart would).
  const again = openServer(benchConfig(dataDir));
  const at = again.services.core.revocations.seq();
  again.services.core.close();
  const [lo, mid, hi] = [...sample].sort();
  return { seq: at, sample: [lo as string, hi as string, mid as string] };
}

/** One step of `count` random new ids through the server's change path. */
export function change(dataDir: string, count: number, expiresAt: number): Seeded {
  const opened = openServer(benchConfig(dataDir));
  const core = opened.services.core;
  const bytes = randomBytes(16 * count).toString('hex');
  const entries = Array.from({ length: count }, (_, k) => ({
    revocationId: bytes.slice(k * 32, k * 32 + 32),
    expiresAt,
  }));
  const seq = core.change({ revocations: true }, (now) => core.revocations.addStep(entries, now));
  core.close();
  const sorted = entries.map((e) => e.revocationId).sort();
  const at = (k: number) => sorted[Math.min(sorted.length - 1, k)] as string;
  return { seq, sample: [at(0), at(sorted.length - 1), at(sorted.length >> 1)] };
}
