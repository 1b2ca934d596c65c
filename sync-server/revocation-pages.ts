// Delta pages on the server (protocol/revocation-pages.ts, docs/sync.md "Delta pages"): the change S → T of one
// history, when it holds more than `perPage` ids, sorted by id and cut into signed pages. A set is made once per
// (history, S, T) and kept: every gate at S asks for the same set, and 10,000 of them must not cost 10,000 builds.
//
// The bytes of a page depend only on (history, S, T, page): the rows of steps S+1 … T (never changed while S is at
// or above the compaction floor), the issue time is the time step T was made (not the time of the build), and
// Ed25519 signatures are deterministic. So a set that left the bounded memory cache is made again byte for byte,
// and a gate fetching pages across a server restart gets the pages of the set it started with.
//
// The build is asynchronous, like the partition build: the rows are read step by step in chunks (by the log's
// primary key), sorted in buckets of their leading hex digits, each page written in slices and then signed, each
// piece in its own turn of the event loop, so /healthz, polls and deltas keep being answered; requests for a set
// being built wait for the same build.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { cutIntoPages, PagePayloadWriter, DELTA_PAGE_ENTRIES, type RevokedEntry } from '../protocol/index.js';
import type { Db } from './db.js';
import type { KeyStore } from './keystore.js';
import { etagFor } from './trust.js';

/** The list the sets are of: its history, sequence and compaction floor as they are now. */
export interface PagedList {
  logId(): string;
  seq(): number;
  floor(): number;
}

export interface PageSet {
  readonly logId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  /** The signed pages, in order. */
  readonly pages: readonly Uint8Array[];
  /** The same, gzip-compressed (served with Content-Encoding: gzip to a client that takes it). */
  readonly gzip: readonly Uint8Array[];
  readonly etags: readonly string[];
  readonly entries: number;
  readonly bytes: number;
}

const READ_CHUNK = 16_384;
/** Buckets by the leading three hex digits of the id: about 250 ids each in a 1 M-id change. */
const BUCKET_DIGITS = 3;
/** Entries sorted in one turn of the event loop. */
const SORT_CHUNK = 32_768;
/** Entries of a page written in one turn (the signature of the whole page takes one more). */
const WRITE_CHUNK = 8_192;
/** Signed sets kept in memory (a 1 M-id set is about 23 MB, and 17 MB gzip); the newest is always kept. */
const CACHE_BYTES = 128 * 1024 * 1024;

const gzip = promisify(zlib.gzip);
const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class RevocationPageSets {
  private readonly cache = new Map<string, PageSet>();
  private cacheBytes = 0;
  private readonly building = new Map<string, Promise<PageSet | null>>();
  private readonly stepsStmt;
  private readonly readStmt;
  private readonly countStmt;
  private readonly atStmt;

  /** `perPage`: entries per page (DELTA_PAGE_ENTRIES; smaller in tests); a change above it goes in pages. */
  constructor(
    db: Db,
    private readonly keys: KeyStore,
    private readonly list: PagedList,
    readonly perPage: number = DELTA_PAGE_ENTRIES,
  ) {
    this.stepsStmt = db.prepare('SELECT seq FROM revocation_steps WHERE seq > ? AND seq <= ? ORDER BY seq').pluck();
    this.readStmt = db
      .prepare(
        'SELECT revocation_id, expires_at FROM revocation_log WHERE seq = ? AND revocation_id > ? ORDER BY revocation_id LIMIT ?',
      )
      .raw(true);
    this.countStmt = db.prepare('SELECT SUM(count) FROM revocation_steps WHERE seq > ? AND seq <= ?').pluck();
    this.atStmt = db.prepare('SELECT at FROM revocation_steps WHERE seq = ?').pluck();
  }

  /** Ids the change since → to holds (the steps' counts). */
  count(since: number, to: number): number {
    return (this.countStmt.get(since, to) as number | null) ?? 0;
  }

  /** True when the change since → to of history `logId` can be made into pages now. */
  available(logId: string, since: number, to: number): boolean {
    const l = this.list;
    return (
      logId === l.logId() && since >= l.floor() && since < to && to <= l.seq() && this.count(since, to) > this.perPage
    );
  }

  /**
   * The page set since → to of history `logId`, made when not kept (asynchronously; concurrent callers share one
   * build); null when it cannot be made (another history, `since` below the floor, or a change that fits one delta).
   */
  set(logId: string, since: number, to: number): Promise<PageSet | null> {
    const key = `${logId}:${since}:${to}`;
    const hit = this.cache.get(key);
    if (hit) {
      // Most recently used last: eviction takes the oldest first.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return Promise.resolve(this.available(logId, since, to) ? hit : null);
    }
    let b = this.building.get(key);
    if (!b) {
      b = this.build(logId, since, to).finally(() => this.building.delete(key));
      this.building.set(key, b);
    }
    return b;
  }

  private async build(logId: string, since: number, to: number): Promise<PageSet | null> {
    if (!this.available(logId, since, to)) return null;
    const issuedAt = this.atStmt.get(to) as number;
    // Read: step by step, each in chunks by the log's primary key (seq, id), each chunk checked against the floor
    // at the moment it is read (a compaction past `since` deletes rows of the change: the set can no longer be made).
    const buckets: RevokedEntry[][] = Array.from({ length: 16 ** BUCKET_DIGITS }, () => []);
    for (const seq of this.stepsStmt.all(since, to) as number[]) {
      let after = '';
      for (;;) {
        if (!this.available(logId, since, to)) return null;
        const rows = this.readStmt.all(seq, after, READ_CHUNK) as [string, number][];
        for (const [revocationId, expiresAt] of rows)
          (buckets[parseInt(revocationId.slice(0, BUCKET_DIGITS), 16)] as RevokedEntry[]).push({
            revocationId,
            expiresAt,
          });
        await yieldTurn();
        const last = rows[rows.length - 1];
        if (rows.length < READ_CHUNK || last === undefined) break;
        after = last[0];
      }
    }
    // Sort: bucket by bucket, a few per turn. An id in two steps (revoked again after its entry was purged) is
    // taken once, with the later step's expiry (the sort is stable and the rows came in step order).
    const added: RevokedEntry[] = [];
    let sorted = 0;
    for (const bucket of buckets) {
      bucket.sort((x, y) => (x.revocationId < y.revocationId ? -1 : x.revocationId > y.revocationId ? 1 : 0));
      for (const e of bucket) {
        const prev = added[added.length - 1];
        if (prev !== undefined && prev.revocationId === e.revocationId) added[added.length - 1] = e;
        else added.push(e);
      }
      sorted += bucket.length;
      bucket.length = 0;
      if (sorted >= SORT_CHUNK) {
        sorted = 0;
        await yieldTurn();
      }
    }
    // Cut, then each page written in slices and signed, a piece per turn. A change that shrank to one page by
    // duplicates still goes as two pages (the device asked on the steps' count; a set is never one page).
    const perPage = Math.min(this.perPage, Math.ceil(added.length / 2));
    if (added.length < 2) return null;
    const cut = cutIntoPages({ logId, fromSeq: since, toSeq: to, issuedAt }, added, [], perPage);
    const pages: Uint8Array[] = [];
    const zipped: Uint8Array[] = [];
    for (const p of cut) {
      const w = new PagePayloadWriter(p);
      do await yieldTurn();
      while (!w.write(WRITE_CHUNK));
      await yieldTurn();
      const signed = w.sign(this.keys.root());
      pages.push(signed);
      // Compressed off the event loop (libuv's thread pool); level 1: the ids are random, only the rest shrinks.
      zipped.push(new Uint8Array(await gzip(signed, { level: 1 })));
    }
    const bytes = [...pages, ...zipped].reduce((n, p) => n + p.length, 0);
    const set: PageSet = {
      logId,
      fromSeq: since,
      toSeq: to,
      pages,
      gzip: zipped,
      etags: pages.map(etagFor),
      entries: added.length,
      bytes,
    };
    this.remember(`${logId}:${since}:${to}`, set);
    return set;
  }

  private remember(key: string, set: PageSet): void {
    this.cache.set(key, set);
    this.cacheBytes += set.bytes;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= CACHE_BYTES || this.cache.size <= 1) break;
      this.cache.delete(k);
      this.cacheBytes -= v.bytes;
    }
  }
}
