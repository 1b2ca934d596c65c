// The revocation list: ids (stored as bytes) with the expiry of their pass, and the sequence it corresponds to.
// Deltas and snapshots are applied in one transaction after the sequence checks, so the list is always at the old
// or the new sequence — also when the process is killed or the power fails in the middle.
import type Database from 'better-sqlite3';
import { ProtocolError } from '../../protocol/errors.js';
import { isLogId } from '../../protocol/log-id.js';
import type { RevocationDelta } from '../../protocol/types.js';
import { partitionRange } from '../../protocol/revocation-partitions.js';
import type { PartitionUpdate, RevocationInfo } from './types.js';
import { revocationIdArg, seconds, wholeNumber } from './validate.js';
import { StoreError } from './errors.js';

interface StateRow {
  seq: number;
  log_id: string | null;
  issued_at: number | null;
  received_at: number | null;
  needs_snapshot: 0 | 1;
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
  private readonly lookup: Database.Statement<[string], number>;
  private readonly readState: Database.Statement<[], StateRow>;
  private readonly writeState: Database.Statement<[number, string, number, number]>;
  private readonly newHistoryState: Database.Statement<[number, string, number, number]>;
  private readonly insert: Database.Statement<[string, number]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly clearAll: Database.Statement<[]>;
  private readonly count: Database.Statement<[], number>;
  private readonly purge: Database.Statement<[number]>;
  private readonly markWiped: Database.Statement<[]>;
  private readonly applyTx: Database.Transaction<(delta: RevocationDelta, receivedAt: number) => void>;
  private readonly partitionsTx: Database.Transaction<(u: PartitionUpdate, receivedAt: number) => void>;
  private readonly clearRange: Database.Statement<[string, string]>;
  private readonly clearFrom: Database.Statement<[string]>;

  constructor(private readonly db: Database.Database) {
    this.lookup = db.prepare<[string], number>('SELECT 1 FROM revocations WHERE rid = unhex(?)').pluck();
    this.readState = db.prepare<[], StateRow>(
      'SELECT seq, log_id, issued_at, received_at, needs_snapshot FROM revocation_state WHERE id = 1',
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
    // A re-added id keeps the later expiry: keeping a revocation too long is safe, too short is not.
    this.insert = db.prepare<[string, number]>(
      `INSERT INTO revocations (rid, expires_at) VALUES (unhex(?), ?)
       ON CONFLICT (rid) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
    );
    this.remove = db.prepare<[string]>('DELETE FROM revocations WHERE rid = unhex(?)');
    this.clearAll = db.prepare<[]>('DELETE FROM revocations');
    this.count = db.prepare<[], number>('SELECT count(*) FROM revocations').pluck();
    this.purge = db.prepare<[number]>('DELETE FROM revocations WHERE expires_at < ?');
    this.markWiped = db.prepare<[]>(
      'UPDATE revocation_state SET issued_at = NULL, received_at = NULL, needs_snapshot = 1 WHERE id = 1',
    );
    this.applyTx = db.transaction((delta: RevocationDelta, receivedAt: number) => this.applyInside(delta, receivedAt));
    this.clearRange = db.prepare<[string, string]>('DELETE FROM revocations WHERE rid >= unhex(?) AND rid < unhex(?)');
    this.clearFrom = db.prepare<[string]>('DELETE FROM revocations WHERE rid >= unhex(?)');
    this.partitionsTx = db.transaction((u: PartitionUpdate, receivedAt: number) =>
      this.partitionsInside(u, receivedAt),
    );
  }

  applyPartitions(update: PartitionUpdate, receivedAt: number): void {
    seconds(receivedAt, 'receivedAt');
    this.partitionsTx.immediate(update, receivedAt);
  }

  private partitionsInside(u: PartitionUpdate, receivedAt: number): void {
    if (!isLogId(u.logId))
      throw new StoreError('INVALID_ARGUMENT', 'update.logId: expected 32 lower-case hex characters');
    const seq = wholeNumber(u.seq, 'update.seq');
    const issuedAt = wholeNumber(u.issuedAt, 'update.issuedAt');
    const s = this.state();
    const sameHistory = s.log_id === u.logId || (s.log_id === null && s.seq === 0);
    if (sameHistory && seq <= s.seq) {
      throw new ProtocolError('VERSION_ROLLBACK', `revocation list ${seq} is not newer than the one held (${s.seq})`);
    }
    if (!sameHistory && !u.whole) {
      throw new ProtocolError('HISTORY_CHANGED', 'partitions of another server history: the whole list is needed');
    }
    if (!sameHistory && s.issued_at !== null && issuedAt < s.issued_at) {
      throw new ProtocolError('VERSION_ROLLBACK', 'a list of another history older than the list held');
    }
    if (u.whole || s.needs_snapshot === 1) this.clearAll.run();
    for (const p of u.partitions) {
      const { lo, hi } = partitionRange(wholeNumber(p.index, 'partition.index'), u.prefixHex);
      if (hi === null) this.clearFrom.run(lo);
      else this.clearRange.run(lo, hi);
      // Entries come in id order (verified), which is the B-tree's order.
      for (const e of p.entries)
        this.insert.run(revocationIdArg(e.revocationId), wholeNumber(e.expiresAt, 'expiresAt'));
    }
    if (sameHistory) this.writeState.run(seq, u.logId, issuedAt, receivedAt);
    else this.newHistoryState.run(seq, u.logId, issuedAt, receivedAt);
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

  info(): RevocationInfo {
    const s = this.state();
    return {
      seq: s.needs_snapshot === 1 ? 0 : s.seq,
      logId: s.log_id,
      issuedAt: s.issued_at,
      receivedAt: s.received_at,
      count: this.count.get() ?? 0,
    };
  }

  has(revocationId: string): boolean {
    return this.lookup.get(revocationIdArg(revocationId)) !== undefined;
  }

  apply(delta: RevocationDelta, receivedAt: number): void {
    seconds(receivedAt, 'receivedAt');
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
    const s = this.state();
    const trusted = Math.max(s.issued_at ?? 0, trustedNow);
    const cutoff = Math.min(now, trusted) - graceSeconds;
    if (cutoff <= 0) return 0;
    return this.purge.run(cutoff).changes;
  }

  /** For wipe(): remove every id, keep the sequence as a floor, and ask for a full list next time. */
  wipe(): void {
    this.clearAll.run();
    this.markWiped.run();
  }
}
