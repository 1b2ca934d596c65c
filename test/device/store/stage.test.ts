// Staged revocation updates in the store (device/store/revocation-stage.ts) on real SQLite files: partitions larger
// than one step merged against what is held, nothing visible before commit, an abort and a crash (a real child
// process ended in the middle of a stage, undone by the next writer) leaving the list exactly as it was, and a version-3 file migrated in place.
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreError } from '../../../device/store/index.js';
import { openStore } from '../../../device/store/index.js';
import { TrustKeeper } from '../../../device/trust/keeper.js';
import { silentLogger } from '../../../device/trust/types.js';
import { ManualClock } from '../../support/clock.js';
import type { DeviceStore, PartitionUpdate } from '../../../device/store/types.js';
import type { RevokedEntry } from '../../../protocol/types.js';
import { partitionEntries, stagedContent } from './fixtures/stage-content.js';
import { delta, LOG_ID, rid, tempDir, type TempDir } from './helpers.js';
import { leftovers } from '../../support/revocation-stage.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'stage-child.ts');
const T = 1_800_000_000;

let tmp: TempDir;
let store: DeviceStore | null = null;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  store?.close();
  store = null;
  tmp.cleanup();
});

/** A whole list of 16 partitions (prefixHex 1), `per` ids of `stream` in each. */
function wholeList(seq: number, stream: number, per: number): PartitionUpdate {
  const partitions = Array.from({ length: 16 }, (_, index) => ({
    index,
    entries: partitionEntries(stream, index, per),
  }));
  return { logId: LOG_ID, seq, issuedAt: T + seq, prefixHex: 1, whole: true, partitions };
}

const ids = (entries: readonly RevokedEntry[]) => entries.map((e) => e.revocationId);
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return (err as StoreError).code;
  }
};

describe('staged revocation updates', () => {
  it('merges partitions larger than one step and shows nothing of them before commit', () => {
    store = openStore(tmp.file());
    const db = store;
    const first = wholeList(1, 1, 3_000);
    db.applyRevocationPartitions(first, T);
    const held = first.partitions.flatMap((p) => ids(p.entries));
    const heldSet = new Set(held);
    expect(db.revocationInfo()).toMatchObject({ seq: 1, count: 48_000 });

    // Step 2: in each partition the first 1,000 ids removed, 2,500 new ones added, the other 2,000 kept.
    const next = first.partitions.map((p) => ({
      index: p.index,
      entries: [...p.entries.slice(1_000), ...partitionEntries(2, p.index, 2_500)].sort((a, b) =>
        a.revocationId < b.revocationId ? -1 : 1,
      ),
    }));
    const removed = first.partitions.flatMap((p) => ids(p.entries.slice(0, 1_000)));
    const added = next.flatMap((p) => ids(p.entries)).filter((id) => !heldSet.has(id));
    const stage = db.beginRevocationStage({ logId: LOG_ID, seq: 2, issuedAt: T + 2, prefixHex: 1, whole: false });
    let steps = 0;
    for (const p of next.slice(0, 15))
      for (const _ of p.entries.length ? stage.replacePartition(p.index, p.entries) : []) steps++;
    // The last partition only half way: one step taken.
    const last = next[15] as { index: number; entries: RevokedEntry[] };
    const partial = stage.replacePartition(last.index, last.entries)[Symbol.iterator]();
    expect(partial.next().done).toBe(false);
    expect(steps).toBeGreaterThanOrEqual(15 * 2);
    // Before commit: the list held, whole.
    expect(db.revocationInfo()).toMatchObject({ seq: 1, count: 48_000 });
    expect(held.every((id) => db.isRevoked(id))).toBe(true);
    expect(added.some((id) => db.isRevoked(id))).toBe(false);
    // One writer at a time: no second stage, no delta in between.
    expect(
      codeOf(() => db.beginRevocationStage({ logId: LOG_ID, seq: 3, issuedAt: T + 3, prefixHex: 1, whole: false })),
    ).toBe('CONFLICT');
    expect(codeOf(() => db.applyRevocations(delta(1, 3, [rid(1)]), T))).toBe('CONFLICT');
    for (let r = partial.next(); !r.done; r = partial.next());
    stage.commit(T + 10);
    expect(db.revocationInfo()).toMatchObject({ seq: 2, count: 48_000 - 16_000 + 40_000 });
    expect(added.every((id) => db.isRevoked(id))).toBe(true);
    expect(removed.some((id) => db.isRevoked(id))).toBe(false);
    expect(leftovers(tmp.file()).hidden).toBe(16_000);
    for (const _ of stage.cleanup());
    expect(leftovers(tmp.file())).toEqual({ pending: null, hidden: 0 });
    // A small delta after it is one transaction, visible at once.
    db.applyRevocations(delta(2, 3, [rid(1)], [added[0] as string]), T + 20);
    expect(db.isRevoked(rid(1))).toBe(true);
    expect(db.isRevoked(added[0] as string)).toBe(false);
  });

  it('clears the ranges a whole list of another history leaves empty', () => {
    store = openStore(tmp.file());
    store.applyRevocationPartitions(wholeList(5, 1, 100), T);
    const other = 'ffeeddccbbaa99887766554433221100';
    const only = partitionEntries(3, 0xa, 10);
    store.applyRevocationPartitions(
      {
        logId: other,
        seq: 2,
        issuedAt: T + 50,
        prefixHex: 1,
        whole: true,
        partitions: [{ index: 0xa, entries: only }],
      },
      T + 60,
    );
    expect(store.revocationInfo()).toMatchObject({ seq: 2, logId: other, count: 10 });
    expect(ids(only).every((id) => store?.isRevoked(id))).toBe(true);
    expect(leftovers(tmp.file())).toEqual({ pending: null, hidden: 0 });
  });

  it('an abort leaves the list exactly as it was', () => {
    store = openStore(tmp.file());
    const db = store;
    const first = wholeList(1, 1, 500);
    db.applyRevocationPartitions(first, T);
    const before = db.revocationInfo();
    const stage = db.beginRevocationStage({ logId: LOG_ID, seq: 2, issuedAt: T + 2, prefixHex: 1, whole: false });
    for (let p = 0; p < 8; p++) for (const _ of stage.replacePartition(p, partitionEntries(2, p, 700)));
    expect(leftovers(tmp.file()).hidden).toBe(8 * 1_200);
    for (const _ of stage.abort());
    expect(db.revocationInfo()).toEqual(before);
    expect(first.partitions.every((p) => ids(p.entries).every((id) => db.isRevoked(id)))).toBe(true);
    expect(leftovers(tmp.file())).toEqual({ pending: null, hidden: 0 });
    expect(codeOf(() => stage.commit(T))).toBe('CONFLICT');
  });

  it.each(['exit', 'kill'] as const)(
    'a process that ends in the middle of a stage (%s) leaves the list as it was at the next open',
    async (mode) => {
      const file = tmp.file();
      const first = wholeList(1, 1, 2_000);
      const seeded = openStore(file);
      seeded.applyRevocationPartitions(first, T);
      const before = { ...seeded.revocationInfo() }; // the count is read here, while the store is open
      seeded.close();

      const staged = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, mode], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        let rows = 0;
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /staged (\d+)/.exec(out);
          if (m && rows === 0) {
            rows = Number(m[1]);
            if (mode === 'kill') child.kill('SIGKILL');
          }
        });
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('error', reject);
        child.on('exit', () => (rows > 0 ? resolve(rows) : reject(new Error(`child failed: ${err}`))));
      });
      // The child wrote its stage (new ids and removals of 4 partitions) and left it pending.
      expect(staged).toBeGreaterThan(0);
      expect(leftovers(file)).toEqual({ pending: 2, hidden: 4 * (3_000 + 2_000) });

      store = openStore(file);
      const db = store;
      const asBefore = (): void => {
        expect(db.revocationInfo()).toEqual(before);
        expect(first.partitions.every((p) => ids(p.entries).every((id) => db.isRevoked(id)))).toBe(true);
        expect([0, 1, 2, 3].some((p) => ids(stagedContent(p)).some((id) => db.isRevoked(id)))).toBe(false);
      };
      // A reader (gatecode check) opening the file sees the list as before and undoes nothing (the stage could be
      // a live one of the running device) …
      asBefore();
      expect(leftovers(file).pending).toBe(2);
      // … the writer (the trust keeper, when it starts) undoes it.
      new TrustKeeper(db, new ManualClock(), silentLogger, null);
      expect(leftovers(file)).toEqual({ pending: null, hidden: 0 });
      asBefore();
      expect(db.recoverRevocationStage()).toBe(false);
    },
  );

  it('migrates a version-3 file with revocations in place, every id still held', () => {
    const file = tmp.file();
    const old = openStore(file);
    old.applyRevocations(delta(0, 4, [rid(1), rid(2), rid(3)]), T);
    old.close();
    // Back to version 3 as an older gatecode left it: the columns of version 4 gone (a table rebuilt without them).
    const raw = new Database(file);
    raw.exec(`CREATE TABLE r3 (rid BLOB PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO r3 SELECT rid, expires_at FROM revocations; DROP TABLE revocations; ALTER TABLE r3 RENAME TO revocations;
      ALTER TABLE revocation_state DROP COLUMN active_gen; ALTER TABLE revocation_state DROP COLUMN pending_gen;
      PRAGMA user_version = 3;`);
    raw.close();
    store = openStore(file);
    expect(store.diagnostics().schemaVersion).toBe(4);
    expect(store.revocationInfo()).toMatchObject({ seq: 4, count: 3 });
    expect([1, 2, 3].every((n) => store?.isRevoked(rid(n)))).toBe(true);
  });
});
