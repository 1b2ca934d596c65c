// A staged update of the revocation list (docs/sync.md "Partitioned sync"): the bulk of the writes happens in many
// short transactions under a new generation that lookups do not see yet, and one small transaction (commit) makes
// it the active generation. A row is visible at generation G when born <= G and (dead IS NULL or dead > G). While
// the stage runs, ids it adds have born = gen (not yet visible) and ids it removes get dead = gen (still visible):
// a decision during the update sees the list before it, and after commit the list after it, never a mix. A stage
// is a partition stage (whole ranges replaced, merged against what is held) or a delta stage (ids added and removed,
// revocation-delta.ts: large deltas and delta pages).
import type Database from 'better-sqlite3';
import type { RevokedEntry } from '../../protocol/types.js';
import { StoreError } from './errors.js';
import {
  deltaStatements,
  deltaSteps,
  dropRemovedKeys,
  KEY_LOG_MAX,
  KeyLog,
  packedView,
  restoreExpiries,
  undoByKeys,
  type DeltaTarget,
} from './revocation-delta.js';
import type { PackedEntries, PackedIds, RevocationStage, StageTarget } from './types.js';
import { revocationIdArg, wholeNumber } from './validate.js';

/** Rows read or written by one step (one transaction): a few milliseconds of work. */
export const STAGE_CHUNK = 1000;
/** Removed rows whose keys a stage keeps for its cleanup (about 40 bytes each); beyond, it walks the ranges. */
const REMOVED_KEYS_MAX = 250_000;
/** Above every id the store takes (at most 64 bytes): the upper bound of the last partition. */
const KEY_SPACE_END = Buffer.alloc(65, 0xff);

interface HeldRow {
  rid: Buffer;
  expires_at: number;
  dead: number | null;
}

/** What the stage needs from the list (revocations.ts): the sequence checks and the generation it publishes. */
export interface StageHost {
  readonly db: Database.Database;
  activeGen(): number;
  pendingGen(): number | null;
  /** Throws VERSION_ROLLBACK / HISTORY_CHANGED as the one-transaction apply does; run at begin and at commit. */
  checkTarget(target: StageTarget, allRanges: boolean): void;
  /** Inside the commit transaction: the revocation state for `target`, active_gen = gen, pending cleared. */
  publish(target: StageTarget, gen: number, receivedAt: number): void;
  /** After the commit transaction: lookups use `gen` from now on. */
  published(gen: number): void;
  /** Between steps of a paced stage: checkpoints in a worker; a promise when the writer should wait (RevocationStage). */
  pace(): Promise<void> | null;
  /** The stage is over (committed or aborted): another may begin. */
  ended(): void;
}

/** The id range of partition `index` as byte bounds lo <= rid < hi (an odd prefix is padded to whole bytes). */
export function partitionBounds(index: number, prefixHex: number): { lo: Buffer; hi: Buffer } {
  const bytes = (n: number) =>
    Buffer.from(
      n
        .toString(16)
        .padStart(prefixHex, '0')
        .padEnd(prefixHex + (prefixHex % 2), '0'),
      'hex',
    );
  return { lo: bytes(index), hi: index + 1 >= 16 ** prefixHex ? KEY_SPACE_END : bytes(index + 1) };
}

/** The smallest byte string above `key`. */
function after(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.alloc(1)]);
}

export class StagedRevocations implements RevocationStage {
  private readonly touched = new Set<number>();
  /** Keys of the rows marked removed, for the cleanup (null past REMOVED_KEYS_MAX: it walks the ranges instead). */
  private removedKeys: Buffer[] | null = [];
  private readonly done = new Set<number>();
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private readonly stmt;
  /** A delta stage (target.fromSeq set): its key logs and span; null for a partition stage. */
  private readonly delta: (DeltaTarget & { stmt: ReturnType<typeof deltaStatements> }) | null;

  constructor(
    private readonly host: StageHost,
    readonly target: StageTarget,
    readonly generation: number,
    /** Keys a delta stage logs for abort and cleanup before it walks its span instead (tests lower it). */
    keyLogMax = KEY_LOG_MAX,
  ) {
    const db = host.db;
    this.stmt = {
      batch: db.prepare<[Buffer, Buffer, number], HeldRow>(
        'SELECT rid, expires_at, dead FROM revocations WHERE rid >= ? AND rid < ? ORDER BY rid LIMIT ?',
      ),
      lastOfBatch: db
        .prepare<[Buffer, Buffer, number], Buffer | null>(
          'SELECT max(rid) FROM (SELECT rid FROM revocations WHERE rid >= ? AND rid < ? ORDER BY rid LIMIT ?)',
        )
        .pluck(),
      insert: db.prepare<[string, number, number]>(
        'INSERT INTO revocations (rid, expires_at, born) VALUES (unhex(?), ?, ?)',
      ),
      markDead: db.prepare<[number, Buffer]>('UPDATE revocations SET dead = ? WHERE rid = ?'),
      raiseExpiry: db.prepare<[number, Buffer]>('UPDATE revocations SET expires_at = ? WHERE rid = ?'),
      // An id removed by an earlier generation whose row is still there (cleanup pending) is revoked again.
      revive: db.prepare<[number, number, Buffer]>(
        'UPDATE revocations SET born = ?, dead = NULL, expires_at = ? WHERE rid = ?',
      ),
      dropDead: db.prepare<[Buffer, Buffer, number]>(
        'DELETE FROM revocations WHERE rid >= ? AND rid <= ? AND dead IS NOT NULL AND dead <= ?',
      ),
      dropKey: db.prepare<[Buffer, number]>('DELETE FROM revocations WHERE rid = ? AND dead IS NOT NULL AND dead <= ?'),
      dropBorn: db.prepare<[Buffer, Buffer, number]>(
        'DELETE FROM revocations WHERE rid >= ? AND rid <= ? AND born = ?',
      ),
      unmark: db.prepare<[Buffer, Buffer, number]>(
        'UPDATE revocations SET dead = NULL WHERE rid >= ? AND rid <= ? AND dead = ?',
      ),
    };
    this.delta =
      target.fromSeq === undefined
        ? null
        : {
            db,
            generation,
            chunk: STAGE_CHUNK,
            written: new KeyLog(keyLogMax),
            removed: new KeyLog(keyLogMax),
            oldExpiries: new Map(),
            span: null,
            checkOpen: () => this.checkOpen('applyDelta'),
            stmt: deltaStatements(db),
          };
  }

  private checkOpen(op: string): void {
    if (this.state !== 'open') throw new StoreError('CONFLICT', `${op}: the staged update is already ${this.state}`);
    if (this.host.pendingGen() !== this.generation) {
      throw new StoreError('CONFLICT', `${op}: the staged update was ended (a wipe or another writer)`);
    }
  }

  /**
   * A delta step (a delta stage only): `added` inserted and `removed` marked dead under the stage's generation, each
   * list ascending, at most STAGE_CHUNK ids per transaction (revocation-delta.ts). Called once per delta or per page
   * of one; ids of one call must not overlap the ranges of another's (pages tile the id space).
   */
  applyDelta(
    added: readonly RevokedEntry[] | PackedEntries,
    removed: readonly string[] | PackedIds,
  ): Generator<number, void, void> {
    const d = this.delta;
    if (d === null) throw new StoreError('INVALID_ARGUMENT', 'applyDelta: a partition stage takes partitions only');
    this.checkOpen('applyDelta');
    return deltaSteps(d, d.stmt, added, removed);
  }

  *replacePartition(index: number, content: readonly RevokedEntry[] | PackedEntries): Generator<number, void, void> {
    const prefixHex = this.target.prefixHex;
    if (this.delta !== null || prefixHex === undefined)
      throw new StoreError('INVALID_ARGUMENT', 'replacePartition: a delta stage takes deltas only');
    if (!Number.isSafeInteger(index) || index < 0 || index >= 16 ** prefixHex) {
      throw new StoreError('INVALID_ARGUMENT', 'partition index: outside the partitions');
    }
    const entries = Array.isArray(content)
      ? packedView(content as readonly RevokedEntry[])
      : (content as PackedEntries);
    if (entries === null || typeof entries !== 'object' || !Number.isSafeInteger(entries.length)) {
      throw new StoreError('INVALID_ARGUMENT', 'entries: expected an array');
    }
    this.checkOpen('replacePartition');
    if (this.touched.has(index)) throw new StoreError('INVALID_ARGUMENT', 'partition index: staged twice');
    const { lo, hi } = partitionBounds(index, prefixHex);
    const loHex = lo.toString('hex');
    const hiHex = hi.toString('hex');
    // Entries are checked as the merge reaches them (ascending ids inside the range: the merge depends on it), so
    // no step handles more than STAGE_CHUNK of them; a bad one fails the step, and the caller aborts the stage.
    const ids = new Array<string>(entries.length);
    const expiries = new Float64Array(entries.length);
    let checked = 0;
    const checkUpTo = (end: number): void => {
      for (; checked < Math.min(end, entries.length); checked++) {
        const k = checked;
        const id = revocationIdArg(entries.id(k), 'entries[].revocationId');
        if (id < loHex || id >= hiHex)
          throw new StoreError('INVALID_ARGUMENT', 'entries[]: an id outside the partition');
        if (k > 0 && id <= (ids[k - 1] as string))
          throw new StoreError('INVALID_ARGUMENT', 'entries: ids not ascending');
        ids[k] = id;
        expiries[k] = wholeNumber(entries.expiresAt(k), 'entries[].expiresAt');
      }
    };
    this.touched.add(index);
    let start = lo;
    let k = 0;
    const step = this.host.db.transaction((): number | null => {
      this.checkOpen('replacePartition');
      checkUpTo(k + STAGE_CHUNK);
      const held = this.stmt.batch.all(start, hi, STAGE_CHUNK);
      // The step ends at `end` (inclusive): at most STAGE_CHUNK held rows and STAGE_CHUNK new ids before it.
      let end: string | null =
        held.length === STAGE_CHUNK ? (held[STAGE_CHUNK - 1] as HeldRow).rid.toString('hex') : null;
      if (k + STAGE_CHUNK < ids.length) {
        const last = ids[k + STAGE_CHUNK - 1] as string;
        if (end === null || last < end) end = last;
      }
      const k0 = k;
      let h = 0;
      const heldHex = held.map((r) => r.rid.toString('hex'));
      for (;;) {
        const hv = h < held.length && (end === null || (heldHex[h] as string) <= end) ? (heldHex[h] as string) : null;
        const nv = k < ids.length && (end === null || (ids[k] as string) <= end) ? (ids[k] as string) : null;
        if (hv === null && nv === null) break;
        if (nv === null || (hv !== null && hv < nv)) {
          const row = held[h++] as HeldRow;
          // Held, not in the new content: removed by this generation (rows already dead stay for the cleanup).
          if (row.dead === null) this.stmt.markDead.run(this.generation, row.rid);
          // Rows removed by an earlier generation whose cleanup a crash stopped go with this one's.
          if (this.removedKeys !== null) {
            this.removedKeys.push(row.rid);
            if (this.removedKeys.length > REMOVED_KEYS_MAX) this.removedKeys = null;
          }
        } else if (hv === null || nv < hv) {
          this.stmt.insert.run(nv, expiries[k] as number, this.generation);
          k++;
        } else {
          const row = held[h++] as HeldRow;
          const expiresAt = expiries[k++] as number;
          if (row.dead !== null) this.stmt.revive.run(this.generation, expiresAt, row.rid);
          // In both: unchanged. The expiry only drives the purge; keeping an id longer is the safe side.
          else if (expiresAt > row.expires_at) this.stmt.raiseExpiry.run(expiresAt, row.rid);
        }
      }
      const rows = h + (k - k0);
      if (end === null) return null;
      start = after(Buffer.from(end, 'hex'));
      return rows;
    });
    for (;;) {
      const rows = step.immediate();
      if (rows === null) break;
      yield rows;
    }
    this.done.add(index);
  }

  /** Between two steps, for a driver that lets the event loop run: see RevocationStage.pace. */
  pace(): Promise<void> | null {
    return this.state === 'open' ? this.host.pace() : null;
  }

  commit(receivedAt: number, inside?: () => void): void {
    this.checkOpen('commit');
    // A delta stage never replaces every range: it continues the list held (checked again at commit).
    const all = this.target.prefixHex !== undefined && this.done.size === 16 ** this.target.prefixHex;
    if (this.target.whole && !all) {
      throw new StoreError('INVALID_ARGUMENT', 'commit: a whole list needs every partition staged');
    }
    this.host.db
      .transaction(() => {
        this.checkOpen('commit');
        this.host.checkTarget(this.target, all);
        this.host.publish(this.target, this.generation, receivedAt);
        inside?.();
      })
      .immediate();
    this.state = 'committed';
    this.host.published(this.generation);
    this.host.ended();
  }

  /** After commit: delete the rows the update removed (invisible already), range by range. */
  *cleanup(): Generator<number, void, void> {
    if (this.state !== 'committed') throw new StoreError('CONFLICT', 'cleanup: the staged update is not committed');
    const active = this.host.activeGen();
    const d = this.delta;
    if (d !== null) {
      if (d.removed.kept) yield* dropRemovedKeys(d, d.stmt, active);
      else yield* this.walk((a, b) => this.stmt.dropDead.run(a, b, active).changes);
      return;
    }
    const keys = this.removedKeys;
    if (keys === null) {
      yield* this.walk((a, b) => this.stmt.dropDead.run(a, b, active).changes);
      return;
    }
    // The keys are known: a few steps for a day's removals instead of a walk over every row of the changed ranges.
    const drop = this.host.db.transaction((from: number): number => {
      let n = 0;
      for (const key of keys.slice(from, from + STAGE_CHUNK)) n += this.stmt.dropKey.run(key, active).changes;
      return n;
    });
    for (let from = 0; from < keys.length; from += STAGE_CHUNK) yield drop.immediate(from);
    this.removedKeys = [];
  }

  /** Undo the stage: rows it added deleted, rows it removed live again; then another stage may begin. */
  *abort(): Generator<number, void, void> {
    if (this.state !== 'open') return;
    const gen = this.generation;
    const d = this.delta;
    if (this.host.pendingGen() === gen) {
      if (d !== null && d.written.kept) yield* undoByKeys(d, d.stmt);
      else {
        yield* this.walk((a, b) => this.stmt.dropBorn.run(a, b, gen).changes + this.stmt.unmark.run(a, b, gen).changes);
        if (d !== null) yield* restoreExpiries(d, d.stmt);
      }
      this.host.db.prepare('UPDATE revocation_state SET pending_gen = NULL WHERE id = 1 AND pending_gen = ?').run(gen);
    }
    this.state = 'aborted';
    this.host.ended();
  }

  /** The id ranges the stage touched: its partitions, or the span of its delta steps. */
  private ranges(): { lo: Buffer; hi: Buffer }[] {
    const span = this.delta?.span;
    if (span) return [{ lo: Buffer.from(span.lo, 'hex'), hi: after(Buffer.from(span.hi, 'hex')) }];
    const prefixHex = this.target.prefixHex ?? 1;
    return [...this.touched].sort((a, b) => a - b).map((index) => partitionBounds(index, prefixHex));
  }

  /** Run `fn(first, last)` over the touched ranges, STAGE_CHUNK rows at a time, one transaction each. */
  private *walk(fn: (first: Buffer, last: Buffer) => number): Generator<number, void, void> {
    for (const { lo, hi } of this.ranges()) {
      let start: Buffer | null = lo;
      const step = this.host.db.transaction((): number => {
        const last = this.stmt.lastOfBatch.get(start as Buffer, hi, STAGE_CHUNK) ?? null;
        if (last === null) {
          start = null;
          return 0;
        }
        const n = fn(start as Buffer, last);
        start = after(last);
        return n;
      });
      while (start !== null) yield step.immediate();
    }
  }
}
