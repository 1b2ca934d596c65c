// The revocation list: ids (stored as bytes) with the expiry of their pass, and the sequence it corresponds to.
// Deltas and snapshots are applied in one transaction after the sequence checks, so the list is always at the old
// or the new sequence — also when the process is killed or the power fails in the middle. Large updates (partitions)
// are staged under a generation lookups do not see yet and published in one small transaction (revocation-stage.ts);
// lookups read the active generation, held here in memory.
import type Database from 'better-sqlite3';
import { ProtocolError } from '../../protocol/errors.js';
import { isLogId } from '../../protocol/log-id.js';
import type { RevocationDelta } from '../../protocol/types.js';
import { MAX_PREFIX_HEX } from '../../protocol/revocation-partitions.js';
import type { PartitionUpdate, RevocationInfo, StageTarget } from './types.js';
import { StagedRevocations, type StageHost } from './revocation-stage.js';
import { revocationIdArg, seconds, wholeNumber } from './validate.js';
import { WAL_PACING, WalCheckpointer, type WalPacing } from './wal-checkpointer.js';
import { StoreError } from './errors.js';

/** Slices of the id space for the running gate's revocation purge (purgeExpiredSlice). */
export const PURGE_SLICES = 256;

interface StateRow {
  seq: number;
  log_id: string | null;
  issued_at: number | null;
  received_at: number | null;
  needs_snapshot: 0 | 1;
  active_gen: number;
  pending_gen: number | null;
}

/** Run a stage step generator to its end (synchronous use). */
function drain(steps: Iterable<number>): void {
  for (const _ of steps);
}

/**
 * Validate the ids and return them with the order in which to write them: the order SQLite keeps their bytes in
 * (lower-case hex sorts like the bytes it encodes), so each B-tree page is visited once per delta, not once per id.
 * An index array keeps the extra memory for a 100,000-id delta at a few hundred kilobytes.
 */
function inKeyOrder(ids: string[]): Uint32Array {
  const order = new Uint32Array(ids.length);
  for (let k = 0; k < order.length; k++) order[k] = k;
  return order.sort((a, b) => {
    const x = ids[a] as string;
    const y = ids[b] as string;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

export class RevocationList {
  private readonly lookup: Database.Statement<[string, number, number], number>;
  private readonly readState: Database.Statement<[], StateRow>;
  private readonly writeState: Database.Statement<[number, string, number, number]>;
  private readonly newHistoryState: Database.Statement<[number, string, number, number]>;
  private readonly insert: Database.Statement<[string, number]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly clearAll: Database.Statement<[]>;
  private readonly count: Database.Statement<[number, number], number>;
  private readonly purge: Database.Statement<[number]>;
  private readonly purgeRange: Database.Statement<[string, string, number]>;
  private readonly purgeFrom: Database.Statement<[string, number]>;
  private readonly markWiped: Database.Statement<[]>;
  private readonly applyTx: Database.Transaction<(delta: RevocationDelta, receivedAt: number) => void>;
  private readonly setPending: Database.Statement<[number]>;
  private readonly publishGen: Database.Statement<[number]>;
  /** The generation lookups see; moves only after a commit transaction. */
  private active: number;
  private staging = false;
  private readonly host: StageHost;
  /** Checkpoints in a worker thread while a driver paces a stage (wal-checkpointer.ts). */
  private readonly wal: WalCheckpointer;
  private walPacing: WalPacing = WAL_PACING;

  constructor(private readonly db: Database.Database) {
    this.lookup = db
      .prepare<[string, number, number], number>(
        'SELECT 1 FROM revocations WHERE rid = unhex(?) AND born <= ? AND (dead IS NULL OR dead > ?)',
      )
      .pluck();
    this.readState = db.prepare<[], StateRow>(
      `SELECT seq, log_id, issued_at, received_at, needs_snapshot, active_gen, pending_gen FROM revocation_state
       WHERE id = 1`,
    );
    this.writeState = db.prepare<[number, string, number, number]>(
      `UPDATE revocation_state SET seq = ?, log_id = ?, issued_at = max(coalesce(issued_at, 0), ?), received_at = ?,
       needs_snapshot = 0 WHERE id = 1`,
    );
    // A snapshot of another history: its sequence replaces the held one (it may be lower; it is another count).
    this.newHistoryState = db.prepare<[number, string, number, number]>(
      `UPDATE revocation_state SET seq = ?, log_id = ?, issued_at = ?, received_at = ?, needs_snapshot = 0
       WHERE id = 1`,
    );
    // A re-added id keeps the later expiry: keeping a revocation too long is safe, too short is not. A row an
    // earlier generation removed (still there until its cleanup) is live again.
    this.insert = db.prepare<[string, number]>(
      `INSERT INTO revocations (rid, expires_at) VALUES (unhex(?), ?)
       ON CONFLICT (rid) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at), dead = NULL`,
    );
    this.remove = db.prepare<[string]>('DELETE FROM revocations WHERE rid = unhex(?)');
    this.clearAll = db.prepare<[]>('DELETE FROM revocations');
    this.count = db
      .prepare<[number, number], number>(
        'SELECT count(*) FROM revocations WHERE born <= ? AND (dead IS NULL OR dead > ?)',
      )
      .pluck();
    // Rows an earlier generation removed whose cleanup did not run (a crash after commit) are invisible; the next
    // stage that touches their range deletes them, and a delta re-adding or removing one handles it.
    this.purge = db.prepare<[number]>('DELETE FROM revocations WHERE expires_at < ?');
    this.purgeRange = db.prepare<[string, string, number]>(
      'DELETE FROM revocations WHERE rid >= unhex(?) AND rid < unhex(?) AND expires_at < ?',
    );
    this.purgeFrom = db.prepare<[string, number]>(
      'DELETE FROM revocations WHERE rid >= unhex(?) AND expires_at < ?',
    );
    this.markWiped = db.prepare<[]>(
      `UPDATE revocation_state SET issued_at = NULL, received_at = NULL, needs_snapshot = 1, pending_gen = NULL
       WHERE id = 1`,
    );
    this.applyTx = db.transaction((delta: RevocationDelta, receivedAt: number) => this.applyInside(delta, receivedAt));
    this.setPending = db.prepare<[number]>('UPDATE revocation_state SET pending_gen = ? WHERE id = 1');
    this.publishGen = db.prepare<[number]>(
      'UPDATE revocation_state SET active_gen = ?, pending_gen = NULL WHERE id = 1',
    );
    this.host = {
      db,
      activeGen: () => this.active,
      pendingGen: () => this.state().pending_gen,
      checkTarget: (t, all) => this.checkTarget(t, all),
      publish: (t, gen, receivedAt) => {
        const s = this.state();
        const sameHistory = s.log_id === t.logId || (s.log_id === null && s.seq === 0);
        if (sameHistory) this.writeState.run(t.seq, t.logId, t.issuedAt, receivedAt);
        else this.newHistoryState.run(t.seq, t.logId, t.issuedAt, receivedAt);
        this.publishGen.run(gen);
      },
      published: (gen) => {
        this.active = gen;
      },
      pace: () => this.wal.pace(this.walPacing),
      ended: () => {
        this.staging = false;
        this.wal.end();
      },
    };
    this.active = this.state().active_gen;
    this.wal = new WalCheckpointer(db);
  }

  /** The store closes: the checkpoint worker (if a stage was ever paced) ends with it. */
  close(): void {
    this.wal.close();
  }

  /** Run the store's own truncating checkpoint (wipe, purge, close) with the checkpoint worker held off. */
  quietCheckpoint<T>(fn: () => T): T {
    return this.wal.quiet(fn);
  }

  /** The one-call form of a staged update (tests, tools): every partition staged, then committed; all or nothing. */
  applyPartitions(u: PartitionUpdate, receivedAt: number): void {
    seconds(receivedAt, 'receivedAt');
    const whole = u.whole || this.state().needs_snapshot === 1;
    const stage = this.beginStage({ logId: u.logId, seq: u.seq, issuedAt: u.issuedAt, prefixHex: u.prefixHex, whole });
    try {
      const given = new Set<number>();
      for (const p of u.partitions) {
        given.add(wholeNumber(p.index, 'partition.index'));
        drain(stage.replacePartition(p.index, p.entries));
      }
      if (whole) for (let i = 0; i < 16 ** u.prefixHex; i++) if (!given.has(i)) drain(stage.replacePartition(i, []));
      stage.commit(receivedAt);
    } catch (err) {
      drain(stage.abort());
      throw err;
    }
    drain(stage.cleanup());
  }

  /**
   * Begin a staged update towards `target` (revocation-stage.ts). Checks the sequence rules now and again at
   * commit. One stage at a time (CONFLICT otherwise).
   */
  beginStage(target: StageTarget, opts: { keyLogMax?: number; wal?: WalPacing } = {}): StagedRevocations {
    if (target === null || typeof target !== 'object')
      throw new StoreError('INVALID_ARGUMENT', 'target: expected an object');
    const common = {
      logId: target.logId,
      seq: wholeNumber(target.seq, 'target.seq'),
      issuedAt: wholeNumber(target.issuedAt, 'target.issuedAt'),
    };
    let t: StageTarget;
    if (target.fromSeq !== undefined) {
      // A delta stage continues the list held: never whole, no partitions.
      if (target.prefixHex !== undefined || target.whole === true)
        throw new StoreError('INVALID_ARGUMENT', 'target: a delta stage has fromSeq only (no prefixHex, not whole)');
      t = { ...common, fromSeq: wholeNumber(target.fromSeq, 'target.fromSeq'), whole: false };
    } else {
      const prefixHex = wholeNumber(target.prefixHex, 'target.prefixHex');
      if (prefixHex < 1 || prefixHex > MAX_PREFIX_HEX)
        throw new StoreError('INVALID_ARGUMENT', 'target.prefixHex: 1 to 3');
      t = { ...common, prefixHex, whole: target.whole === true };
    }
    this.checkTarget(t, true);
    this.recoverStale();
    if (this.staging || this.state().pending_gen !== null) {
      throw new StoreError('CONFLICT', 'a staged revocation update is already under way');
    }
    const gen = this.active + 1;
    this.setPending.run(gen);
    this.staging = true;
    this.walPacing = opts.wal ?? WAL_PACING;
    return new StagedRevocations(this.host, t, gen, opts.keyLogMax);
  }

  private checkTarget(u: StageTarget, allRanges: boolean): void {
    if (!isLogId(u.logId))
      throw new StoreError('INVALID_ARGUMENT', 'update.logId: expected 32 lower-case hex characters');
    const s = this.state();
    const sameHistory = s.log_id === u.logId || (s.log_id === null && s.seq === 0);
    if (sameHistory && u.seq <= s.seq) {
      throw new ProtocolError('VERSION_ROLLBACK', `revocation list ${u.seq} is not newer than the one held (${s.seq})`);
    }
    if (!sameHistory && !u.whole) {
      throw new ProtocolError('HISTORY_CHANGED', 'partitions of another server history: the whole list is needed');
    }
    if (u.fromSeq !== undefined) {
      const listSeq = s.needs_snapshot === 1 ? 0 : s.seq;
      if (u.fromSeq !== listSeq)
        throw new ProtocolError('SEQUENCE_GAP', `delta starts at ${u.fromSeq}, the list held is at ${listSeq}`);
    }
    if (!sameHistory && s.issued_at !== null && u.issuedAt < s.issued_at) {
      throw new ProtocolError('VERSION_ROLLBACK', 'a list of another history older than the list held');
    }
    if (s.needs_snapshot === 1 && !allRanges) {
      throw new StoreError('INVALID_ARGUMENT', 'the list was wiped: only a whole list refills it');
    }
  }

  /**
   * Undo a stage left by a crash or a power cut (pending_gen set, no stage of this connection under way), in one
   * transaction; true when there was one. Its rows are invisible to lookups meanwhile, so readers need not call
   * this: the writer does (the trust keeper when it starts, and every revocation write first). Not done when the
   * file is opened, so that a reader (`gatecode check`) opening it does not undo a live stage of the device.
   */
  recoverStale(): boolean {
    if (this.staging) return false;
    const gen = this.state().pending_gen;
    if (gen === null) return false;
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM revocations WHERE born = ?').run(gen);
        this.db.prepare('UPDATE revocations SET dead = NULL WHERE dead = ?').run(gen);
        this.db.prepare('UPDATE revocation_state SET pending_gen = NULL WHERE id = 1').run();
      })
      .immediate();
    return true;
  }

  private state(): StateRow {
    const row = this.readState.get();
    if (row === undefined) throw new StoreError('CORRUPT', 'revocation state row missing');
    return row;
  }

  /** The sequence the list's content corresponds to (0 while it is empty after a wipe). */
  seq(): number {
    const s = this.state();
    return s.needs_snapshot === 1 ? 0 : s.seq;
  }

  info(countRows: () => number = () => this.countVisible()): RevocationInfo {
    const s = this.state();
    return {
      seq: s.needs_snapshot === 1 ? 0 : s.seq,
      logId: s.log_id,
      issuedAt: s.issued_at,
      receivedAt: s.received_at,
      // A scan of the whole list (seconds at 10 M ids): only when the count is read, not for every caller of
      // info() that wants the sequence or the history (the sync client and the trust keeper, on the decision thread).
      get count(): number {
        return countRows();
      },
    };
  }

  countVisible(): number {
    return this.count.get(this.active, this.active) ?? 0;
  }

  has(revocationId: string): boolean {
    return this.lookup.get(revocationIdArg(revocationId), this.active, this.active) !== undefined;
  }

  apply(delta: RevocationDelta, receivedAt: number): void {
    seconds(receivedAt, 'receivedAt');
    if (this.staging)
      throw new StoreError('CONFLICT', 'a staged revocation update is under way: apply it or abort it first');
    this.recoverStale();
    this.applyTx.immediate(delta, receivedAt);
  }

  private applyInside(delta: RevocationDelta, receivedAt: number): void {
    if (delta === null || typeof delta !== 'object')
      throw new StoreError('INVALID_ARGUMENT', 'delta: expected an object');
    const { kind } = delta;
    if (kind !== 'delta' && kind !== 'snapshot')
      throw new StoreError('INVALID_ARGUMENT', "delta.kind: expected 'delta' or 'snapshot'");
    const fromSeq = wholeNumber(delta.fromSeq, 'delta.fromSeq');
    const toSeq = wholeNumber(delta.toSeq, 'delta.toSeq');
    const issuedAt = wholeNumber(delta.issuedAt, 'delta.issuedAt');
    if (!Array.isArray(delta.added) || !Array.isArray(delta.removed)) {
      throw new StoreError('INVALID_ARGUMENT', 'delta.added and delta.removed: expected arrays');
    }
    const logId = delta.logId;
    if (!isLogId(logId)) throw new StoreError('INVALID_ARGUMENT', 'delta.logId: expected 32 lower-case hex characters');
    const s = this.state();
    const listSeq = s.needs_snapshot === 1 ? 0 : s.seq;
    // Sequence numbers compare only within one history. A store that never held a list starts on any history.
    const sameHistory = s.log_id === logId || (s.log_id === null && s.seq === 0);
    if (sameHistory) {
      // The floor survives a wipe: nothing at or below the highest sequence ever held is accepted again.
      if (toSeq <= s.seq) {
        throw new ProtocolError(
          'VERSION_ROLLBACK',
          `revocation list ${toSeq} is not newer than the one held (${s.seq})`,
        );
      }
      if (kind === 'delta' && fromSeq !== listSeq) {
        throw new ProtocolError('SEQUENCE_GAP', `delta starts at ${fromSeq}, the list held is at ${listSeq}`);
      }
    } else {
      // Another history (the server was restored or copied): only a whole list, and not one older than held.
      if (kind === 'delta') {
        throw new ProtocolError('HISTORY_CHANGED', 'a delta of another server history: a snapshot is needed');
      }
      if (s.issued_at !== null && issuedAt < s.issued_at) {
        throw new ProtocolError('VERSION_ROLLBACK', 'a snapshot of another history older than the list held');
      }
    }
    // A snapshot replaces the whole list (any `removed` it carries is moot).
    if (kind === 'snapshot') this.clearAll.run();
    // Removals first, then additions: an id listed in both stays revoked (the safe side).
    const removed = delta.removed.map((id) => revocationIdArg(id, 'delta.removed[]'));
    for (const k of inKeyOrder(removed)) this.remove.run(removed[k] as string);
    const added = new Array<string>(delta.added.length);
    const expiries = new Float64Array(delta.added.length);
    delta.added.forEach((entry, k) => {
      if (entry === null || typeof entry !== 'object') {
        throw new StoreError('INVALID_ARGUMENT', 'delta.added[]: expected an object');
      }
      added[k] = revocationIdArg(entry.revocationId, 'delta.added[].revocationId');
      expiries[k] = wholeNumber(entry.expiresAt, 'delta.added[].expiresAt');
    });
    for (const k of inKeyOrder(added)) this.insert.run(added[k] as string, expiries[k] as number);
    if (sameHistory) this.writeState.run(toSeq, logId, issuedAt, receivedAt);
    else this.newHistoryState.run(toSeq, logId, issuedAt, receivedAt);
  }

  /**
   * Drop ids whose pass expired more than `graceSeconds` before `now` — where `now` is capped by `trustedNow` (the
   * newest signed time seen), so a clock set far forward cannot empty the list.
   */
  purgeExpired(now: number, trustedNow: number, graceSeconds: number): number {
    const cutoff = this.purgeCutoff(now, trustedNow, graceSeconds);
    if (cutoff <= 0) return 0;
    return this.purge.run(cutoff).changes;
  }

  /**
   * The same for one slice of the id space (slice `index` of 256, by the ids' first byte): a range scan of the
   * primary key, so a running gate purges a list of millions a slice per turn of its event loop rather than in one
   * scan of the whole table. Skipped (0) while a stage is under way; the next round takes it.
   */
  purgeExpiredSlice(now: number, trustedNow: number, graceSeconds: number, index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= PURGE_SLICES)
      throw new StoreError('INVALID_ARGUMENT', `slice: expected 0 to ${PURGE_SLICES - 1}`);
    if (this.staging) return 0;
    const cutoff = this.purgeCutoff(now, trustedNow, graceSeconds);
    if (cutoff <= 0) return 0;
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    return index + 1 < PURGE_SLICES
      ? this.purgeRange.run(hex(index), hex(index + 1), cutoff).changes
      : this.purgeFrom.run(hex(index), cutoff).changes;
  }

  private purgeCutoff(now: number, trustedNow: number, graceSeconds: number): number {
    const s = this.state();
    const trusted = Math.max(s.issued_at ?? 0, trustedNow);
    return Math.min(now, trusted) - graceSeconds;
  }

  /** For wipe(): remove every id, keep the sequence as a floor, and ask for a full list next time. */
  wipe(): void {
    this.clearAll.run();
    this.markWiped.run();
  }
}
