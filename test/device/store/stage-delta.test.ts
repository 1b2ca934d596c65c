// The delta step of a staged revocation update (device/store/revocation-delta.ts) on real SQLite files: ids added and
// removed over many short transactions, nothing of them visible before commit and all of them after, an abort (by the
// key log and by walking the span) leaving every row exactly as it was, a crash (a real child process ended in the
// middle) undone by the next writer, and the sequence rules of a delta.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../device/store/index.js';
import { RevocationList } from '../../../device/store/revocations.js';
import type { DeviceStore, RevocationStage } from '../../../device/store/types.js';
import { TrustKeeper } from '../../../device/trust/keeper.js';
import { silentLogger } from '../../../device/trust/types.js';
import type { RevokedEntry } from '../../../protocol/types.js';
import { ManualClock } from '../../support/clock.js';
import { heldForDelta, stagedDelta } from './fixtures/stage-content.js';
import { delta, LOG_ID, tempDir, type TempDir } from './helpers.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'stage-child.ts');
const T = 1_800_000_000;
const E1 = 1_900_000_000;
const E2 = 1_950_000_000;

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

/** A random-looking 16-byte id, n of stream s. */
const hid = (s: number, n: number): string => createHash('sha256').update(`${s}:${n}`).digest('hex').slice(0, 32);
const ids = (s: number, count: number): string[] => Array.from({ length: count }, (_, n) => hid(s, n));
const byId = (a: RevokedEntry, b: RevokedEntry): number => (a.revocationId < b.revocationId ? -1 : 1);

/** Every row of the table as written (id, expiry, born, dead), in id order. */
function rows(file: string): string[] {
  const raw = new Database(file, { readonly: true });
  try {
    return (
      raw.prepare('SELECT hex(rid) AS r, expires_at, born, dead FROM revocations ORDER BY rid').all() as {
        r: string;
        expires_at: number;
        born: number;
        dead: number | null;
      }[]
    ).map((x) => `${x.r} ${x.expires_at} ${x.born} ${x.dead}`);
  } finally {
    raw.close();
  }
}

function pendingGen(file: string): number | null {
  const raw = new Database(file, { readonly: true });
  try {
    return raw.prepare('SELECT pending_gen FROM revocation_state').pluck().get() as number | null;
  } finally {
    raw.close();
  }
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return (err as { code: string }).code;
  }
};
const drain = (steps: Iterable<number>): number => {
  let n = 0;
  for (const k of steps) n += k;
  return n;
};

/**
 * A list of 5,000 ids at sequence 1, and a delta 1 → 2 over it: 3,500 new ids, 10 held ids re-added with a later
 * expiry, 1,200 held ids removed (one of them also re-added: it stays), 5 ids removed that were never held.
 */
function scenario(db: DeviceStore) {
  const held = ids(1, 5_000);
  db.applyRevocations(
    delta(
      0,
      1,
      held.map((id) => ({ id, expiresAt: E1 })),
    ),
    T,
  );
  const fresh = ids(2, 3_500);
  const readded = held.slice(0, 10);
  const both = held[4_000] as string;
  const gone = held.slice(3_000, 4_200);
  const added = [...fresh.map((revocationId) => ({ revocationId, expiresAt: E1 }))]
    .concat([...readded, both].map((revocationId) => ({ revocationId, expiresAt: E2 })))
    .sort(byId);
  const removed = [...gone, ...ids(3, 5)].sort();
  const target = { logId: LOG_ID, seq: 2, issuedAt: T + 2, fromSeq: 1, whole: false };
  return { held, fresh, readded, both, gone, added, removed, target };
}

describe('the delta step of a staged revocation update', () => {
  it('writes a delta larger than one step that lookups see only after commit', () => {
    store = openStore(tmp.file());
    const db = store;
    const s = scenario(db);
    const stage = db.beginRevocationStage(s.target);
    const steps = stage.applyDelta(s.added, s.removed)[Symbol.iterator]();
    const firstStep = steps.next();
    expect(firstStep.value).toBe(1_000);
    // Mid-stage: the list held, whole, and one writer at a time.
    expect(db.revocationInfo()).toMatchObject({ seq: 1, count: 5_000 });
    expect(s.held.every((id) => db.isRevoked(id))).toBe(true);
    expect(s.fresh.some((id) => db.isRevoked(id))).toBe(false);
    expect(codeOf(() => db.applyRevocations(delta(1, 2, [hid(9, 1)]), T))).toBe('CONFLICT');
    let handled = firstStep.value as number;
    for (let r = steps.next(); !r.done; r = steps.next()) {
      handled += r.value;
      expect(db.revocationInfo().count).toBe(5_000);
      expect(db.isRevoked(s.gone[1_100] as string)).toBe(true);
      expect(db.isRevoked(s.fresh[3_499] as string)).toBe(false);
    }
    // Every id of the delta once (the one both added and removed counted once).
    expect(handled).toBe(3_500 + 11 + 1_205 - 1);
    stage.commit(T + 10);
    expect(db.revocationInfo()).toMatchObject({ seq: 2, count: 5_000 - 1_199 + 3_500 });
    expect(s.fresh.every((id) => db.isRevoked(id))).toBe(true);
    expect(s.gone.filter((id) => id !== s.both).some((id) => db.isRevoked(id))).toBe(false);
    expect(db.isRevoked(s.both)).toBe(true);
    const after = rows(tmp.file());
    // The re-added ids keep the later expiry; the removed rows wait for the cleanup (invisible).
    for (const id of s.readded) expect(after.find((r) => r.startsWith(id.toUpperCase()))).toMatch(` ${E2} `);
    expect(after.filter((r) => !r.endsWith(' null'))).toHaveLength(1_199);
    expect(drain(stage.cleanup())).toBe(1_199);
    expect(rows(tmp.file()).filter((r) => !r.endsWith(' null'))).toHaveLength(0);
    expect(db.revocationInfo().count).toBe(7_301);
  }, 60_000);

  it.each([
    ['by the key log', undefined],
    ['by walking the span (the log dropped)', 100],
  ] as const)(
    'an abort leaves every row exactly as it was (%s)',
    (_, keyLogMax) => {
      const file = tmp.file();
      const seeded = openStore(file);
      const s = scenario(seeded);
      seeded.close();
      const before = rows(file);
      // The store's list on a connection of its own, so the test can lower the key log's bound.
      const raw = new Database(file);
      try {
        const list = new RevocationList(raw);
        const stage = list.beginStage(s.target, { keyLogMax });
        drain(stage.applyDelta(s.added, s.removed));
        expect(rows(file)).not.toEqual(before);
        expect(drain(stage.abort())).toBeGreaterThan(0);
        expect(rows(file)).toEqual(before);
        expect(pendingGen(file)).toBeNull();
        expect(codeOf(() => stage.commit(T))).toBe('CONFLICT');
        expect(list.countVisible()).toBe(5_000);
      } finally {
        raw.close();
      }
    },
    60_000,
  );

  it('keeps the sequence rules of a delta and refuses bad input (the caller aborts)', () => {
    store = openStore(tmp.file());
    const db = store;
    const s = scenario(db);
    const begin = (t: object) => codeOf(() => db.beginRevocationStage(t as typeof s.target));
    expect(begin({ ...s.target, fromSeq: 0 })).toBe('SEQUENCE_GAP');
    expect(begin({ ...s.target, seq: 1 })).toBe('VERSION_ROLLBACK');
    expect(begin({ ...s.target, logId: 'ffeeddccbbaa99887766554433221100' })).toBe('HISTORY_CHANGED');
    expect(begin({ ...s.target, prefixHex: 1 })).toBe('INVALID_ARGUMENT');
    const before = rows(tmp.file());
    const stage: RevocationStage = db.beginRevocationStage(s.target);
    expect(codeOf(() => drain(stage.replacePartition(0, [])))).toBe('INVALID_ARGUMENT');
    const unsorted = [...s.added].reverse();
    expect(codeOf(() => drain(stage.applyDelta(unsorted, [])))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => drain(stage.applyDelta([], ['zz'])))).toBe('INVALID_ARGUMENT');
    drain(stage.abort());
    expect(rows(tmp.file())).toEqual(before);
    // The list moved on meanwhile (another writer): commit refuses.
    const late = db.beginRevocationStage(s.target);
    drain(late.applyDelta(s.added.slice(0, 10), []));
    const raw = new Database(tmp.file());
    raw.prepare('UPDATE revocation_state SET seq = 2').run();
    raw.close();
    expect(codeOf(() => late.commit(T))).toBe('VERSION_ROLLBACK');
    drain(late.abort());
  }, 60_000);

  it.each(['exit', 'kill'] as const)(
    'a process that ends in the middle of a delta stage (%s) leaves the list as it was',
    async (mode) => {
      const file = tmp.file();
      const seeded = openStore(file);
      seeded.applyRevocations(delta(0, 1, heldForDelta()), T);
      seeded.close();
      const before = rows(file);
      const staged = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, mode, 'delta'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        let n = 0;
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /staged (\d+)/.exec(out);
          if (m && n === 0) {
            n = Number(m[1]);
            if (mode === 'kill') child.kill('SIGKILL');
          }
        });
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('error', reject);
        child.on('exit', () => (n > 0 ? resolve(n) : reject(new Error(`child failed: ${err}`))));
      });
      expect(staged).toBe(2_500 + 700);
      expect(pendingGen(file)).toBe(1);
      expect(rows(file)).not.toEqual(before);
      store = openStore(file);
      const db = store;
      // Lookups never saw it; the writer (the trust keeper, when it starts) undoes it.
      const d = stagedDelta();
      expect(d.added.some((e) => db.isRevoked(e.revocationId))).toBe(false);
      expect(d.removed.every((id) => db.isRevoked(id))).toBe(true);
      new TrustKeeper(db, new ManualClock(), silentLogger, null);
      expect(rows(file)).toEqual(before);
      expect(pendingGen(file)).toBeNull();
      expect(db.revocationInfo()).toMatchObject({ seq: 1, count: 2_000 });
    },
    60_000,
  );
});
