// The revocation list as a sequence of steps. Each change (one revoke, one colour change, one bulk revoke)
// is one step: seq rises by one and the step holds the ids it added. A device at sequence N asks for the
// delta N → current; when N is below the compaction floor it gets a snapshot of the whole current list.
//
// Compaction rule: after each change, steps beyond the newest `keepSteps`, and steps older than `keepSeconds`,
// are dropped from the log; the floor becomes the newest dropped seq (so `since >= floor` still gets a delta).
// Entries leave the current list one day after the pass they name expires (devices purge them at expiry).
import { signRevocations, type RevocationDelta, type RevokedEntry } from '../protocol/index.js';
import { MAX_REVOCATION_ENTRIES } from '../protocol/revocations.js';
import { getMeta, setMeta, type Db } from './db.js';
import { currentHistory } from './history.js';
import type { KeyStore } from './keystore.js';
import { RevocationPageSets } from './revocation-pages.js';
import { RevocationPartitions } from './revocation-partitions.js';
import { etagFor } from './trust.js';

/** Seconds after a pass's expiry that its revocation stays on the server's list. */
export const EXPIRED_GRACE_SECONDS = 86_400;

export interface SignedRevocations {
  readonly kind: 'delta' | 'snapshot';
  readonly logId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
  readonly bytes: Uint8Array;
  readonly etag: string;
}

export interface CompactionRule {
  readonly keepSteps: number;
  readonly keepSeconds: number;
}

const CACHE_BYTES = 32 * 1024 * 1024;

export class RevocationLog {
  private readonly db: Db;
  private readonly keys: KeyStore;
  private readonly cache = new Map<string, SignedRevocations>();
  private cacheBytes = 0;
  /**
   * The history, sequence and floor as last read or written: every poll asks for them, so they are read from
   * the database once and then kept here. Every writer is in this class except a new history (core.ts calls
   * `invalidate`), and a rolled-back transaction invalidates too (core.change).
   */
  private memo: { logId?: string; seq?: number; floor?: number } = {};

  /** The list in signed partitions, for devices that need a whole list too large for one snapshot. */
  readonly partitions: RevocationPartitions;
  /** A change too large for one delta, in signed pages, for devices that take them (revocation-pages.ts). */
  readonly pages: RevocationPageSets;

  /**
   * `partitionsDir`: where the server keeps its signed partitions (none: a bounded memory cache). `pageEntries`:
   * entries per delta page (the protocol's DELTA_PAGE_ENTRIES unless a test sets fewer).
   */
  constructor(db: Db, keys: KeyStore, partitionsDir: string | null = null, pageEntries?: number) {
    this.db = db;
    this.keys = keys;
    this.partitions = new RevocationPartitions(db, keys, this, partitionsDir);
    this.pages = new RevocationPageSets(db, keys, this, pageEntries);
  }

  /** The history the sequence numbers belong to (history.ts). */
  logId(): string {
    if (this.memo.logId !== undefined) return this.memo.logId;
    const h = currentHistory(this.db);
    if (h === null) throw new Error('no history started');
    return (this.memo.logId = h.logId);
  }

  seq(): number {
    return (this.memo.seq ??= Number(getMeta(this.db, 'revocation_seq') ?? '0'));
  }

  /** Deltas are served for `since >= floor`; below it a device gets a snapshot. */
  floor(): number {
    return (this.memo.floor ??= Number(getMeta(this.db, 'revocation_floor') ?? '0'));
  }

  /** Forget the remembered history, sequence and floor (after a new history, or a rolled-back change). */
  invalidate(): void {
    this.memo = {};
    this.partitions.touchAll();
  }

  /** Record one step adding `entries` (ids already on the list are skipped). Returns the new seq. */
  addStep(entries: readonly RevokedEntry[], now: number): number {
    const seq = this.seq() + 1;
    const log = this.db.prepare(
      'INSERT OR IGNORE INTO revocation_log (seq, revocation_id, expires_at) VALUES (?, ?, ?)',
    );
    const cur = this.db.prepare('INSERT OR IGNORE INTO revoked (revocation_id, expires_at, seq) VALUES (?, ?, ?)');
    let count = 0;
    const added: string[] = [];
    for (const e of entries) {
      if (cur.run(e.revocationId, e.expiresAt, seq).changes === 0) continue;
      log.run(seq, e.revocationId, e.expiresAt);
      added.push(e.revocationId);
      count++;
    }
    this.partitions.touch(added);
    this.db.prepare('INSERT INTO revocation_steps (seq, at, count) VALUES (?, ?, ?)').run(seq, now, count);
    setMeta(this.db, 'revocation_seq', String(seq));
    this.memo.seq = seq;
    return seq;
  }

  /** Apply the compaction rule; returns the new floor. Call inside the changing transaction. */
  compact(now: number, rule: CompactionRule): number {
    const seq = this.seq();
    const byCount = seq - rule.keepSteps;
    const byAge = this.db
      .prepare('SELECT MAX(seq) AS s FROM revocation_steps WHERE at < ?')
      .get(now - rule.keepSeconds) as {
      s: number | null;
    };
    const floor = Math.max(this.floor(), byCount, byAge.s ?? 0);
    if (floor > this.floor()) {
      this.db.prepare('DELETE FROM revocation_log WHERE seq <= ?').run(floor);
      this.db.prepare('DELETE FROM revocation_steps WHERE seq <= ?').run(floor);
      setMeta(this.db, 'revocation_floor', String(floor));
      this.memo.floor = floor;
    }
    const cutoff = now - EXPIRED_GRACE_SECONDS;
    const purged = this.db
      .prepare('SELECT revocation_id FROM revoked WHERE expires_at < ?')
      .pluck()
      .all(cutoff) as string[];
    if (purged.length > 0) {
      this.partitions.touch(purged);
      this.db.prepare('DELETE FROM revoked WHERE expires_at < ?').run(cutoff);
    }
    return floor;
  }

  /**
   * True when the whole current list fits one signed snapshot (at most MAX_REVOCATION_ENTRIES ids). Above that a
   * device gets the list in partitions (revocation-partitions.ts) and the publish dir holds no snapshot.
   */
  snapshotFits(): boolean {
    const held = this.db
      .prepare('SELECT COUNT(*) FROM (SELECT 1 FROM revoked LIMIT ?)')
      .pluck()
      .get(MAX_REVOCATION_ENTRIES + 1) as number;
    return held <= MAX_REVOCATION_ENTRIES;
  }

  /** Ids a delta since → current holds (the steps' counts; `since` at or above the floor). */
  deltaCount(since: number): number {
    const n = this.db.prepare('SELECT SUM(count) FROM revocation_steps WHERE seq > ?').pluck().get(since) as
      | number
      | null;
    return n ?? 0;
  }

  /** True when the delta since → current fits one signed document; a larger change goes by partitions. */
  deltaFits(since: number): boolean {
    return this.deltaCount(since) <= MAX_REVOCATION_ENTRIES;
  }

  /** True when the one-step delta `seq - 1 → seq` fits one signed document. */
  stepFits(seq: number): boolean {
    const n = this.db.prepare('SELECT count FROM revocation_steps WHERE seq = ?').pluck().get(seq) as
      | number
      | undefined;
    return (n ?? 0) <= MAX_REVOCATION_ENTRIES;
  }

  /** Sequence numbers of the steps still held as deltas, oldest first. */
  steps(): number[] {
    return (this.db.prepare('SELECT seq FROM revocation_steps ORDER BY seq').all() as { seq: number }[]).map(
      (r) => r.seq,
    );
  }

  /**
   * The signed artefact for a device at `since`: a delta since → current, or a snapshot when `since` is null or
   * below the floor. The caller handles `since === current` (nothing to send) and `since > current`.
   */
  artefact(since: number | null, now: number): SignedRevocations {
    const toSeq = this.seq();
    const snapshot = since === null || since < this.floor();
    const fromSeq = snapshot ? 0 : since;
    const key = `${this.logId()}:${snapshot ? 's' : 'd'}:${fromSeq}:${toSeq}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const added = snapshot
      ? (this.db.prepare('SELECT revocation_id, expires_at FROM revoked ORDER BY seq, revocation_id').all() as Row[])
      : (this.db
          .prepare(
            'SELECT revocation_id, expires_at FROM revocation_log WHERE seq > ? AND seq <= ? ORDER BY seq, revocation_id',
          )
          .all(fromSeq, toSeq) as Row[]);
    return this.remember(key, this.sign(snapshot ? 'snapshot' : 'delta', fromSeq, toSeq, added, now));
  }

  /** The one-step delta `seq - 1 → seq` (for the publish dir). */
  stepDelta(seq: number, now: number): SignedRevocations {
    const key = `${this.logId()}:d:${seq - 1}:${seq}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const added = this.db
      .prepare('SELECT revocation_id, expires_at FROM revocation_log WHERE seq = ? ORDER BY revocation_id')
      .all(seq) as Row[];
    return this.remember(key, this.sign('delta', seq - 1, seq, added, now));
  }

  private sign(
    kind: 'delta' | 'snapshot',
    fromSeq: number,
    toSeq: number,
    rows: Row[],
    now: number,
  ): SignedRevocations {
    const logId = this.logId();
    const delta: RevocationDelta = {
      kind,
      logId,
      fromSeq,
      toSeq,
      issuedAt: now,
      added: rows.map((r) => ({ revocationId: r.revocation_id, expiresAt: r.expires_at })),
      removed: [],
    };
    const bytes = signRevocations(delta, this.keys.root());
    return { kind, logId, fromSeq, toSeq, count: rows.length, bytes, etag: etagFor(bytes) };
  }

  private remember(key: string, value: SignedRevocations): SignedRevocations {
    this.cache.set(key, value);
    this.cacheBytes += value.bytes.length;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= CACHE_BYTES || this.cache.size <= 1) break;
      this.cache.delete(k);
      this.cacheBytes -= v.bytes.length;
    }
    return value;
  }
}

interface Row {
  revocation_id: string;
  expires_at: number;
}
