// The revocation list in signed partitions (protocol/revocation-partitions.ts, docs/sync.md "Partitioned sync"),
// built incrementally: a step marks the partitions its ids fall in, and only those are read and signed again when
// the next manifest is asked for. A partition's version is the newest step among its ids (MAX(seq) over its range
// of the `revoked` table, read in the same range scan as its content), so it is the same after a restart.
//
// Held in memory per partition: version, count, hash and the issue time of its document. The documents themselves
// (gzip) are written to files, one per partition (`dir`, in the data dir): at 10 M ids they are about 155 MB, more
// than a memory cache should hold, and rebuilding one that left a cache costs a range scan and a signature while a
// first sync asks for all 256 in order (the worst case for a cache). Without a directory (tools that open the log
// alone) they are kept in a 64 MiB memory cache and rebuilt byte for byte when they left it (signatures are
// deterministic). A partition
// whose range changed since (a step, an expiry purge) is rebuilt with a new version or hash; a device holding the
// older manifest then sees PARTITION_STALE or PARTITION_MISMATCH and fetches the manifest again.
//
// The build is asynchronous: one partition at a time, the event loop free between them (at 10 M ids a whole build
// is about 256 × 40 k rows), so /healthz, polls and deltas keep being answered; requests during a build share it.
// A step committed meanwhile marks its partitions again and the build goes round once more; the manifest is signed
// (synchronously) only once no partition is marked, with the sequence read at that moment, so it always names one
// state of the list.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  documentHash,
  partitionOf,
  partitionRange,
  signManifest,
  signPartition,
  type ManifestEntry,
} from '../protocol/index.js';
import type { Db } from './db.js';
import type { KeyStore } from './keystore.js';
import { etagFor } from './trust.js';

/** 256 partitions: 10 M ids are about 39,000 per partition (about 900 kB signed, before compression). */
export const PARTITION_PREFIX_HEX = 2;

/** The list the partitions are of: its history and sequence as they are now. */
export interface ListState {
  logId(): string;
  seq(): number;
}

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const DOC_CACHE_BYTES = 64 * 1024 * 1024;

export interface BuiltPartition {
  readonly index: number;
  readonly version: number;
  /** SHA-256 of the signed document (as the manifest names it). */
  readonly hash: string;
  /** The signed document, gzip-compressed (served with Content-Encoding: gzip). */
  readonly gzip: Uint8Array;
}

export interface SignedManifest {
  readonly seq: number;
  readonly logId: string;
  readonly bytes: Uint8Array;
  readonly etag: string;
}

interface Meta extends ManifestEntry {
  readonly issuedAt: number;
}

export class RevocationPartitions {
  private readonly count = 16 ** PARTITION_PREFIX_HEX;
  private meta: (Meta | null)[] = new Array<Meta | null>(this.count).fill(null);
  private dirty = new Uint8Array(this.count).fill(1);
  private logId: string | null = null;
  private manifest: SignedManifest | null = null;
  private building: Promise<SignedManifest> | null = null;
  private readonly docs = new Map<string, Uint8Array>();
  private docBytes = 0;
  private readonly rangeStmt;
  private readonly lastStmt;

  constructor(
    db: Db,
    private readonly keys: KeyStore,
    private readonly list: ListState,
    private readonly dir: string | null = null,
  ) {
    if (dir !== null) {
      // Documents of an earlier run are not trusted: every partition is built (and written) again.
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    this.rangeStmt = db.prepare(
      'SELECT revocation_id, expires_at, seq FROM revoked WHERE revocation_id >= ? AND revocation_id < ? ORDER BY revocation_id',
    ).raw(true);
    this.lastStmt = db.prepare(
      'SELECT revocation_id, expires_at, seq FROM revoked WHERE revocation_id >= ? ORDER BY revocation_id',
    ).raw(true);
  }

  /** Ids added or removed by a change: their partitions are rebuilt for the next manifest. */
  touch(revocationIds: Iterable<string>): void {
    for (const id of revocationIds) this.dirty[partitionOf(id, PARTITION_PREFIX_HEX)] = 1;
    this.manifest = null;
  }

  /** Rebuild every partition for the next manifest (an expiry purge, a rolled-back change). */
  touchAll(): void {
    this.dirty.fill(1);
    this.manifest = null;
  }

  /**
   * The signed manifest of the list as it is now, building the partitions that changed (asynchronously; calls
   * during a build share it). `now` gives the issue time of what is signed.
   */
  currentManifest(now: () => number): Promise<SignedManifest> {
    const m = this.manifest;
    if (m && m.logId === this.list.logId() && m.seq === this.list.seq()) return Promise.resolve(m);
    this.building ??= this.buildManifest(now).finally(() => {
      this.building = null;
    });
    return this.building;
  }

  private async buildManifest(now: () => number): Promise<SignedManifest> {
    for (;;) {
      const logId = this.list.logId();
      if (this.logId !== logId) {
        // Every document names its history: a new one re-signs them all.
        this.logId = logId;
        this.touchAll();
        this.docs.clear();
        this.docBytes = 0;
      }
      for (let i = 0; i < this.count && this.list.logId() === logId; i++) {
        if (this.dirty[i] !== 1) continue;
        this.build(i, logId, now());
        await yieldTurn();
      }
      // From here to the return nothing yields: the manifest names the list at this one moment.
      if (this.list.logId() !== logId || this.dirty.includes(1)) continue;
      const partitions = this.meta.map((e) => {
        const { version, count, hash } = e as Meta;
        return { version, count, hash };
      });
      const seq = this.list.seq();
      const bytes = signManifest(
        { logId, seq, issuedAt: now(), prefixHex: PARTITION_PREFIX_HEX, partitions },
        this.keys.root(),
      );
      this.manifest = { seq, logId, bytes, etag: etagFor(bytes) };
      return this.manifest;
    }
  }

  /** Partition `index` as the current manifest names it (rebuilt when it left the cache); null before any manifest. */
  partition(index: number): BuiltPartition | null {
    const m = this.meta[index];
    if (!m || this.logId === null || index >= this.count) return null;
    const key = `${index}:${m.version}:${m.hash}`;
    let gz = this.dir === null ? this.docs.get(key) : this.readDoc(index, key);
    if (!gz) {
      const rebuilt = this.build(index, this.logId, m.issuedAt);
      gz = rebuilt.gzip;
    }
    return { index, version: m.version, hash: m.hash, gzip: gz };
  }

  /** Read, sign, hash and compress one partition; record its manifest entry. */
  private build(index: number, logId: string, issuedAt: number): BuiltPartition {
    const { lo, hi } = partitionRange(index, PARTITION_PREFIX_HEX);
    const rows = (hi === null ? this.lastStmt.all(lo) : this.rangeStmt.all(lo, hi)) as [string, number, number][];
    let version = 0;
    const entries = rows.map(([revocationId, expiresAt, seq]) => {
      if (seq > version) version = seq;
      return { revocationId, expiresAt };
    });
    const bytes = signPartition(
      { logId, index, prefixHex: PARTITION_PREFIX_HEX, version, issuedAt, entries },
      this.keys.root(),
    );
    const hash = documentHash(bytes);
    const gzip = new Uint8Array(zlib.gzipSync(bytes, { level: 1 }));
    this.meta[index] = { version, count: entries.length, hash, issuedAt };
    this.dirty[index] = 0;
    this.remember(`${index}:${version}:${hash}`, gzip);
    return { index, version, hash, gzip };
  }

  /** The file of partition `index` when it holds the document `key` (its first line names it). */
  private readDoc(index: number, key: string): Uint8Array | undefined {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(this.dir as string, `${index}.gz`));
    } catch {
      return undefined;
    }
    const nl = bytes.indexOf(0x0a);
    if (nl < 0 || bytes.subarray(0, nl).toString('latin1') !== key) return undefined;
    return new Uint8Array(bytes.buffer, bytes.byteOffset + nl + 1, bytes.length - nl - 1);
  }

  private remember(key: string, gz: Uint8Array): void {
    if (this.dir !== null) {
      const index = key.slice(0, key.indexOf(':'));
      const file = path.join(this.dir, `${index}.gz`);
      const tmp = `${file}.tmp`;
      fs.writeFileSync(tmp, Buffer.concat([Buffer.from(key + '\n', 'latin1'), gz]));
      fs.renameSync(tmp, file);
      return;
    }
    if (this.docs.has(key)) return;
    this.docs.set(key, gz);
    this.docBytes += gz.length;
    for (const [k, v] of this.docs) {
      if (this.docBytes <= DOC_CACHE_BYTES || this.docs.size <= 1) break;
      this.docs.delete(k);
      this.docBytes -= v.length;
    }
  }
}
