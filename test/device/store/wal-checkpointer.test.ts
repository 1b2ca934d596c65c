// Checkpoints in a worker thread while a driver paces a staged revocation update (device/store/wal-checkpointer.ts),
// on real SQLite files and a real worker thread: the store's connection stops checkpointing, the WAL stays near its
// cap (the writer waits for the worker past it), the list is right after commit, and the automatic checkpoint is
// back afterwards; a worker that cannot start, or a writer waiting when the store closes, is let go with the automatic
// checkpoint back.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../device/store/index.js';
import { RevocationList } from '../../../device/store/revocations.js';
import {
  AUTOCHECKPOINT_PAGES,
  WAIT_MAX_MS,
  WalCheckpointer,
  type WalPacing,
} from '../../../device/store/wal-checkpointer.js';
import { run, turnTaker } from '../../../device/trust/partitions.js';
import type { RevocationStage } from '../../../device/store/types.js';
import { delta, LOG_ID, rid, tempDir, type TempDir } from './helpers.js';

const T = 1_800_000_000;
const PACING: WalPacing = { startBytes: 64 * 1024, capBytes: 512 * 1024 };

let tmp: TempDir;
const open: Database.Database[] = [];
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  tmp.cleanup();
});

/** A store file holding a list at seq 1, and a connection of the test's own on it (so it can set the pacing). */
function seeded(): { file: string; db: Database.Database; list: RevocationList } {
  const file = tmp.file();
  const store = openStore(file);
  store.applyRevocations(delta(0, 1, [rid(1)], [], { kind: 'snapshot' }), T);
  store.close();
  const db = new Database(file);
  open.push(db);
  return { file, db, list: new RevocationList(db) };
}

/** `count` random-looking 16-byte ids, ascending. */
function newIds(count: number): string[] {
  return Array.from({ length: count }, (_, n) =>
    createHash('sha256').update(`w:${n}`).digest('hex').slice(0, 32),
  ).sort();
}

const walSize = (file: string): number => fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
const autocheckpoint = (db: Database.Database): number => Number(db.pragma('wal_autocheckpoint', { simple: true }));

describe('WAL checkpoints of a paced stage', () => {
  it('run in a worker: the WAL stays near its cap, lookups see the list before and then after, automatic checkpoints come back', async () => {
    const { file, db, list } = seeded();
    const ids = newIds(40_000);
    const stage = list.beginStage(
      { logId: LOG_ID, seq: 2, issuedAt: T + 2, fromSeq: 1, whole: false },
      { wal: PACING },
    );
    let largest = 0;
    let waits = 0;
    const during = new Set<number>();
    // The stage as the driver sees it, watched: the WAL's size and the connection's setting at every step.
    const watched = {
      pace: () => {
        const wait = stage.pace();
        if (wait) waits++;
        largest = Math.max(largest, walSize(file));
        during.add(autocheckpoint(db));
        expect(list.has(ids[0] as string)).toBe(false);
        return wait;
      },
    } as unknown as RevocationStage;
    await run(
      stage.applyDelta(
        ids.map((revocationId) => ({ revocationId, expiresAt: T + 86_400 })),
        [],
      ),
      turnTaker(),
      undefined,
      watched,
    );
    stage.commit(T + 3);
    expect([...during]).toEqual([0]);
    // The writer waited for the worker, so the WAL never grew past the cap by more than a step or two.
    expect(waits).toBeGreaterThan(0);
    expect(largest).toBeGreaterThanOrEqual(PACING.capBytes);
    expect(largest).toBeLessThan(PACING.capBytes + 512 * 1024);
    expect(ids.every((id) => list.has(id))).toBe(true);
    await expect.poll(() => autocheckpoint(db), { timeout: 10_000 }).toBe(AUTOCHECKPOINT_PAGES);
    expect(Number(db.pragma('journal_size_limit', { simple: true }))).toBe(4 * 1024 * 1024);
  }, 60_000);

  it('without a pacing driver the stage keeps the automatic checkpoint', () => {
    const { db, list } = seeded();
    const stage = list.beginStage(
      { logId: LOG_ID, seq: 2, issuedAt: T + 2, fromSeq: 1, whole: false },
      { wal: PACING },
    );
    for (const _ of stage.applyDelta(
      newIds(3_000).map((revocationId) => ({ revocationId, expiresAt: T })),
      [],
    ));
    expect(autocheckpoint(db)).toBe(AUTOCHECKPOINT_PAGES);
    stage.commit(T + 3);
  });

  it('a worker that cannot start puts the automatic checkpoint back, and never makes the writer wait', async () => {
    const { db } = seeded();
    const cp = new WalCheckpointer(db, '/nonexistent/better-sqlite3.node.js');
    expect(cp.pace({ startBytes: 0, capBytes: 1 << 30 })).toBeNull();
    expect(autocheckpoint(db)).toBe(0);
    await expect.poll(() => autocheckpoint(db), { timeout: 10_000 }).toBe(AUTOCHECKPOINT_PAGES);
    expect(cp.pace({ startBytes: 0, capBytes: 0 })).toBeNull();
    expect(autocheckpoint(db)).toBe(AUTOCHECKPOINT_PAGES);
  });

  it('a writer waiting on the worker is let go when the store closes', async () => {
    const { db } = seeded();
    db.prepare('CREATE TABLE filler (x BLOB)').run();
    db.prepare('INSERT INTO filler VALUES (zeroblob(256 * 1024))').run();
    const cp = new WalCheckpointer(db);
    const wait = cp.pace({ startBytes: 1 << 30, capBytes: 1 });
    expect(wait).not.toBeNull();
    cp.close();
    await wait;
    expect(autocheckpoint(db)).toBe(AUTOCHECKPOINT_PAGES);
    expect(cp.pace({ startBytes: 0, capBytes: 0 })).toBeNull();
  });

  it('a reader that keeps the WAL from being copied holds the writer at most WAIT_MAX_MS', async () => {
    const { file, db } = seeded();
    db.prepare('CREATE TABLE filler (x BLOB)').run();
    // Another connection reads an older snapshot: no checkpoint can copy the frames written after it.
    const reader = new Database(file, { readonly: true });
    open.push(reader);
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM revocations').get();
    db.prepare('INSERT INTO filler VALUES (zeroblob(256 * 1024))').run();
    const cp = new WalCheckpointer(db);
    const t0 = performance.now();
    const wait = cp.pace({ startBytes: 1, capBytes: 1 });
    expect(wait).not.toBeNull();
    await wait;
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(WAIT_MAX_MS - 50);
    expect(waited).toBeLessThan(WAIT_MAX_MS + 5_000);
    reader.prepare('COMMIT').run();
    cp.close();
  });

  it('a wipe in the middle of a paced stage truncates the WAL although the worker was checkpointing', async () => {
    const file = tmp.file();
    const store = openStore(file);
    try {
      const held = newIds(40_000).map((id) => `${id.slice(0, 30)}01`);
      store.applyRevocations(delta(0, 1, held, [], { kind: 'snapshot' }), T);
      const stage = store.beginRevocationStage({ logId: LOG_ID, seq: 2, issuedAt: T + 2, fromSeq: 1, whole: false });
      const added = newIds(40_000).map((revocationId) => ({ revocationId, expiresAt: T }));
      const it = stage.applyDelta(added, [])[Symbol.iterator]();
      // Paced steps until the WAL passes the start size; then a checkpoint asked of the worker and, while it runs,
      // the wipe (the sunset's), whose own truncating checkpoint must not find the worker's under way.
      for (let steps = 0; !it.next().done; steps++) {
        const wait = stage.pace();
        if (wait) await wait;
        if (steps > 8 && walSize(file) >= 4 * 1024 * 1024) break;
      }
      void stage.pace();
      await new Promise((resolve) => setTimeout(resolve, 2));
      expect(() => store.wipe()).not.toThrow();
      expect(walSize(file)).toBe(0);
      expect(store.revocationInfo().count).toBe(0);
    } finally {
      store.close();
    }
  });

  it('a store closed in the middle of a paced stage closes, and the next open undoes the stage', () => {
    const file = tmp.file();
    const store = openStore(file);
    store.applyRevocations(delta(0, 1, [rid(1)], [], { kind: 'snapshot' }), T);
    const stage = store.beginRevocationStage({ logId: LOG_ID, seq: 2, issuedAt: T + 2, fromSeq: 1, whole: false });
    const steps = stage.applyDelta(
      newIds(2_000).map((revocationId) => ({ revocationId, expiresAt: T })),
      [],
    );
    for (const _ of steps) expect(stage.pace()).toBeNull(); // below the start size: no wait
    store.close();
    const again = openStore(file);
    try {
      // The stage never committed: the next writer finds it and undoes it; the list is at seq 1.
      expect(again.revocationSeq()).toBe(1);
    } finally {
      again.close();
    }
  });
});
