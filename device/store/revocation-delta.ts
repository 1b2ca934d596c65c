// The delta step of a staged revocation update (revocation-stage.ts; docs/sync.md "Delta pages"): ids added and ids
// removed, each list ascending, merged and written at most STAGE_CHUNK ids per transaction under the stage's
// generation: a new id is inserted with born = gen (not visible yet), a removed one marked dead = gen (still
// visible). Ascending ids keep each step inside a few neighbouring B-tree pages. The keys it writes are logged, so an
// abort undoes exactly those rows (point writes, not a walk over the list) and the cleanup deletes exactly the rows
// it removed; above KEY_LOG_MAX keys the log is dropped and both walk the span of the ids instead.
import type Database from 'better-sqlite3';
import type { RevokedEntry } from '../../protocol/types.js';
import { StoreError } from './errors.js';
import type { PackedEntries, PackedIds } from './types.js';
import { revocationIdArg, wholeNumber } from './validate.js';

/** Keys a delta stage remembers for its abort and cleanup (a hex id each, ~40 bytes); beyond, they walk the span. */
export const KEY_LOG_MAX = 2_000_000;
/** Earlier expiries a stage remembers to restore on abort (ids re-added with a later expiry; rare). */
const OLD_EXPIRY_MAX = 250_000;

interface Row {
  expires_at: number;
  born: number;
  dead: number | null;
}

/**
 * Keys in steps: one JSON array of hex ids per step (the text the step's bulk statement was given), so a million keys
 * cost ~35 MB of one-byte strings, not objects, and an undo hands each step's text back to one statement.
 */
export class KeyLog {
  private readonly steps: string[] = [];
  private count = 0;
  /** False once more than `max` keys were added: the log was dropped. */
  kept = true;
  constructor(private readonly max: number) {}

  /** Log `ids`; `json` is JSON.stringify(ids) when the caller has it already. */
  add(ids: readonly string[], json?: string): void {
    if (!this.kept || ids.length === 0) return;
    this.count += ids.length;
    if (this.count > this.max) {
      this.kept = false;
      this.steps.length = 0;
      return;
    }
    this.steps.push(json ?? JSON.stringify(ids));
  }

  /** The keys, a step's worth at a time, as JSON arrays of hex ids. */
  *chunks(): Generator<string, void, void> {
    yield* this.steps;
  }

  clear(): void {
    this.steps.length = 0;
    this.count = 0;
  }
}

/** Entries as objects, read by position. */
export function packedView(entries: readonly RevokedEntry[]): PackedEntries {
  const at = (k: number): RevokedEntry => {
    const e = entries[k];
    if (e === null || typeof e !== 'object') throw new StoreError('INVALID_ARGUMENT', 'entries[]: expected an object');
    return e;
  };
  return { length: entries.length, id: (k) => at(k).revocationId, expiresAt: (k) => at(k).expiresAt };
}

function packedIds(ids: readonly string[] | PackedIds): PackedIds {
  if (Array.isArray(ids)) {
    const list = ids as readonly string[];
    return { length: list.length, id: (k) => list[k] as string };
  }
  const p = ids as PackedIds;
  if (p === null || typeof p !== 'object' || !Number.isSafeInteger(p.length))
    throw new StoreError('INVALID_ARGUMENT', 'removed: expected an array');
  return p;
}

/** What the delta step writes to, owned by the stage. */
export interface DeltaTarget {
  readonly db: Database.Database;
  readonly generation: number;
  readonly chunk: number;
  /** Keys of rows this stage inserted, revived, marked or unmarked (for abort). */
  readonly written: KeyLog;
  /** Keys of rows this stage marked removed (for the cleanup). */
  readonly removed: KeyLog;
  /** Earlier expiries of live rows whose expiry the stage raised (for abort); null once over OLD_EXPIRY_MAX. */
  oldExpiries: Map<string, number> | null;
  /** Lowest and highest id any delta step of the stage touched (the span abort and cleanup walk without a log). */
  span: { lo: string; hi: string } | null;
  /** Throws CONFLICT when the stage is no longer open; called in every step. */
  checkOpen(): void;
}

/** Rows per multi-row INSERT, largest first: a step's adds go in as few native calls as these sizes allow. */
const INSERT_BATCHES = [250, 50, 10, 1] as const;
/** Ids from a JSON array of hex ids (a step of a key log): one native call per step for an undo or a cleanup. */
const JSON_IDS = 'SELECT unhex(value) FROM json_each(?)';

export function deltaStatements(db: Database.Database) {
  return {
    // Several rows a statement: a million new ids cost a third of the time of one statement each.
    insertMany: INSERT_BATCHES.map((size) => ({
      size,
      stmt: db.prepare<(string | number)[]>(
        `INSERT INTO revocations (rid, expires_at, born) VALUES ${Array<string>(size).fill('(unhex(?), ?, ?)').join(', ')}
         ON CONFLICT (rid) DO NOTHING`,
      ),
    })),
    row: db.prepare<[string], Row>('SELECT expires_at, born, dead FROM revocations WHERE rid = unhex(?)'),
    setExpiry: db.prepare<[number, string]>('UPDATE revocations SET expires_at = ? WHERE rid = unhex(?)'),
    // Re-added after an earlier generation removed it (its row waits for a cleanup): live again from this one.
    revive: db.prepare<[number, number, string]>(
      'UPDATE revocations SET born = ?, dead = NULL, expires_at = ? WHERE rid = unhex(?)',
    ),
    unmark: db.prepare<[string, number]>('UPDATE revocations SET dead = NULL WHERE rid = unhex(?) AND dead = ?'),
    markDead: db.prepare<[number, string, number]>(
      'UPDATE revocations SET dead = ? WHERE rid = unhex(?) AND dead IS NULL AND born < ?',
    ),
    dropOwn: db.prepare<[string, number]>('DELETE FROM revocations WHERE rid = unhex(?) AND born = ?'),
    dropOwnMany: db.prepare<[string, number]>(`DELETE FROM revocations WHERE rid IN (${JSON_IDS}) AND born = ?`),
    unmarkMany: db.prepare<[string, number]>(
      `UPDATE revocations SET dead = NULL WHERE rid IN (${JSON_IDS}) AND dead = ?`,
    ),
    dropDeadMany: db.prepare<[string, number]>(
      `DELETE FROM revocations WHERE rid IN (${JSON_IDS}) AND dead IS NOT NULL AND dead <= ?`,
    ),
    restoreExpiry: db.prepare<[number, string]>('UPDATE revocations SET expires_at = ? WHERE rid = unhex(?)'),
  };
}

type Statements = ReturnType<typeof deltaStatements>;

/**
 * Write `added` and `removed` (each ascending; an id in both stays revoked) under the stage's generation, at most
 * `chunk` ids per transaction; yields the ids each step handled. An id added that the list holds keeps the later
 * of the two expiries (as a one-transaction delta does); an id removed that it does not hold changes nothing.
 */
export function* deltaSteps(
  t: DeltaTarget,
  s: Statements,
  addedIn: readonly RevokedEntry[] | PackedEntries,
  removedIn: readonly string[] | PackedIds,
): Generator<number, void, void> {
  const added = Array.isArray(addedIn) ? packedView(addedIn as readonly RevokedEntry[]) : (addedIn as PackedEntries);
  if (added === null || typeof added !== 'object' || !Number.isSafeInteger(added.length))
    throw new StoreError('INVALID_ARGUMENT', 'added: expected an array');
  const removed = packedIds(removedIn);
  const gen = t.generation;
  let a = 0;
  let r = 0;
  let lastAdded = '';
  let lastRemoved = '';
  let nextAdded: string | null = null;
  let nextRemoved: string | null = null;
  // Ids are checked as the merge reaches them (ascending: the merge depends on it); a bad one fails its step.
  const peekAdded = (): string | null => {
    if (nextAdded === null && a < added.length) {
      nextAdded = revocationIdArg(added.id(a), 'added[].revocationId');
      if (a > 0 && nextAdded <= lastAdded) throw new StoreError('INVALID_ARGUMENT', 'added: ids not ascending');
    }
    return nextAdded;
  };
  const peekRemoved = (): string | null => {
    if (nextRemoved === null && r < removed.length) {
      nextRemoved = revocationIdArg(removed.id(r), 'removed[]');
      if (r > 0 && nextRemoved <= lastRemoved) throw new StoreError('INVALID_ARGUMENT', 'removed: ids not ascending');
    }
    return nextRemoved;
  };
  const raise = (id: string, held: number, expiresAt: number): void => {
    if (expiresAt <= held) return;
    if (t.oldExpiries !== null && !t.oldExpiries.has(id)) {
      t.oldExpiries.set(id, held);
      if (t.oldExpiries.size > OLD_EXPIRY_MAX) t.oldExpiries = null;
    }
    s.setExpiry.run(expiresAt, id);
  };
  /** An id added whose row the batch's INSERT did not write, or one of a batch where some row was held already. */
  const settle = (id: string, expiresAt: number, written: string[]): void => {
    const row = s.row.get(id) as Row;
    if (row.born === gen) {
      // Inserted by this batch (or by an earlier call of the stage, logged then: logged twice is harmless).
      written.push(id);
      if (expiresAt > row.expires_at) s.setExpiry.run(expiresAt, id);
    } else if (row.dead === gen) {
      // Removed earlier in this stage, added again: it stays (logged when it was marked).
      s.unmark.run(id, gen);
      raise(id, row.expires_at, expiresAt);
    } else if (row.dead !== null) {
      s.revive.run(gen, expiresAt, id);
      written.push(id);
    } else raise(id, row.expires_at, expiresAt);
  };
  /** Insert the step's new ids, a batch per statement; the ids it wrote (or revived) are returned. */
  const insertAll = (ids: readonly string[], expiries: readonly number[]): string[] => {
    const written: string[] = [];
    let k = 0;
    for (const { size, stmt } of s.insertMany) {
      const args = new Array<string | number>(3 * size);
      for (; ids.length - k >= size; k += size) {
        for (let j = 0; j < size; j++) {
          args[3 * j] = ids[k + j] as string;
          args[3 * j + 1] = expiries[k + j] as number;
          args[3 * j + 2] = gen;
        }
        if (stmt.run(...args).changes === size) for (let j = k; j < k + size; j++) written.push(ids[j] as string);
        else for (let j = k; j < k + size; j++) settle(ids[j] as string, expiries[j] as number, written);
      }
    }
    return written;
  };
  const step = t.db.transaction((): number => {
    t.checkOpen();
    const addIds: string[] = [];
    const addExpiries: number[] = [];
    const marked: string[] = [];
    const unmarkedOwn: string[] = [];
    let n = 0;
    let first: string | null = null;
    let last = '';
    for (; n < t.chunk; n++) {
      const na = peekAdded();
      const nr = peekRemoved();
      if (na === null && nr === null) break;
      const id = nr === null || (na !== null && na <= nr) ? (na as string) : nr;
      if (na === id) {
        addIds.push(id);
        addExpiries.push(wholeNumber(added.expiresAt(a), 'added[].expiresAt'));
        lastAdded = id;
        nextAdded = null;
        a++;
      }
      if (nr === id) {
        // Listed as added too: it stays revoked (the safe side), nothing to remove.
        if (na !== id) unmarkedOwn.push(id);
        lastRemoved = id;
        nextRemoved = null;
        r++;
      }
      first ??= id;
      last = id;
    }
    // Adds and removes of a step are distinct ids: written in two passes, each in id order.
    const written = insertAll(addIds, addExpiries);
    for (const id of unmarkedOwn) {
      if (s.markDead.run(gen, id, gen).changes === 1) {
        written.push(id);
        marked.push(id);
      } else s.dropOwn.run(id, gen);
    }
    t.written.add(written);
    t.removed.add(marked);
    if (first !== null) {
      if (t.span === null) t.span = { lo: first, hi: last };
      else t.span = { lo: first < t.span.lo ? first : t.span.lo, hi: last > t.span.hi ? last : t.span.hi };
    }
    return n;
  });
  for (;;) {
    const n = step.immediate();
    if (n === 0) return;
    yield n;
  }
}

/** Abort by the key log: rows the stage inserted or revived deleted, rows it marked live again, expiries restored. */
export function* undoByKeys(t: DeltaTarget, s: Statements): Generator<number, void, void> {
  const gen = t.generation;
  const undo = t.db.transaction(
    (keys: string): number => s.dropOwnMany.run(keys, gen).changes + s.unmarkMany.run(keys, gen).changes,
  );
  for (const keys of t.written.chunks()) yield undo.immediate(keys);
  yield* restoreExpiries(t, s);
}

/** Expiries the stage raised, back to what they were (abort). */
export function* restoreExpiries(t: DeltaTarget, s: Statements): Generator<number, void, void> {
  const old = [...(t.oldExpiries ?? new Map<string, number>())];
  const restore = t.db.transaction((from: number): number => {
    for (const [key, expiresAt] of old.slice(from, from + t.chunk)) s.restoreExpiry.run(expiresAt, key);
    return Math.min(t.chunk, old.length - from);
  });
  for (let from = 0; from < old.length; from += t.chunk) yield restore.immediate(from);
}

/** Cleanup by the key log: the rows the stage removed, deleted (they are invisible since the commit). */
export function* dropRemovedKeys(t: DeltaTarget, s: Statements, active: number): Generator<number, void, void> {
  const drop = t.db.transaction((keys: string): number => s.dropDeadMany.run(keys, active).changes);
  for (const keys of t.removed.chunks()) yield drop.immediate(keys);
  t.removed.clear();
}
