// The device store's contract: what the pipeline, the gate logic and the sync client may ask of the one SQLite file
// that holds the trust data, the revocation list, the anti-passback window, the short event window and the counters.
// Times are epoch seconds. Pass ids never enter the store: only their keyed hash (see passHash).
import type { Colour, RevocationDelta, RevokedEntry, TrustBundle } from '../../protocol/types.js';

export type Direction = 'in' | 'out';

/**
 * A key of the small key/value state (enrolment, sync bookkeeping). Any name of letters, digits and `._:-`, up to
 * 64 characters, starting with a letter. `clockFloor` reads the floor but is written only by raiseClockFloor;
 * `wipedAt` is written only by wipe(). See STATE_KEYS for the names in use.
 */
export type StateKey = string;

/** Names the device uses (documented in docs/device-config.md); the store accepts others of the same form. */
export const STATE_KEYS = {
  /** Enrolment: the id and bearer token the server gave, the pinned root public key (base64url), the server URL. */
  deviceId: 'deviceId',
  deviceToken: 'deviceToken',
  rootPublicKey: 'rootPublicKey',
  serverUrl: 'serverUrl',
  /** Epoch seconds of the last sync that reached the server and verified everything it got (informational). */
  lastSyncAt: 'lastSyncAt',
  /**
   * Epoch seconds: issuedAt of the newest verified freshness statement that named exactly the bundle version and
   * revocation sequence held. The data age counts from it (device/trust/apply.ts); never lowered.
   */
  freshAt: 'freshAt',
  /** Epoch seconds below which the clock may not go (newest signed data seen). Read-only: use raiseClockFloor. */
  clockFloor: 'clockFloor',
  /** Epoch seconds at which wipe() ran (the sunset). Read-only: set by wipe(). */
  wipedAt: 'wipedAt',
} as const;

export interface StoredBundle {
  readonly bytes: Uint8Array;
  readonly bundle: TrustBundle;
  readonly receivedAt: number;
}

export interface RevocationInfo {
  /** Sequence of the list held (0 before the first delta or snapshot). */
  readonly seq: number;
  /** The server history `seq` belongs to (protocol log id); null before the first list that named one. */
  readonly logId: string | null;
  /** Signed issue time of the last delta or snapshot applied, null before the first. */
  readonly issuedAt: number | null;
  /** When the last delta or snapshot was applied (the caller's clock), null before the first. */
  readonly receivedAt: number | null;
  /** Revocation ids held: counted (a scan of the list) when read, not when info() is called. */
  readonly count: number;
}

/** The connection's settings and the schema, as SQLite reports them (for the status page and the tests). */
export interface StoreDiagnostics {
  readonly schemaVersion: number;
  readonly journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  readonly synchronous: number;
  readonly foreignKeys: boolean;
  readonly busyTimeoutMs: number;
  readonly secureDelete: boolean;
  readonly cacheSizeKiB: number;
  readonly pageCount: number;
  readonly pageSize: number;
}

export interface EventInput {
  readonly at: number;
  readonly colour: Colour;
  /** 'OK' or a reason code; never pass data. */
  readonly reason: string;
  /** Keyed hash from passHash(), or null when the pass did not verify. */
  readonly passHash: string | null;
  readonly direction: Direction | null;
  readonly opened: boolean;
}

export interface StoredEvent extends EventInput {
  /** Stable, never reused (also after purges): the server can de-duplicate on it. */
  readonly id: number;
  /** False once markNotPassed() annulled the grant (no passage through the turnstile). */
  readonly passed: boolean;
}

/** One alarm transition waiting in the outbox for the server (device/alarms/forwarder.ts). No pass data. */
export interface AlarmOutboxEntry {
  /** 32 hex digits, random: the server stores each id once. */
  readonly id: string;
  /** An alarm kind (`door-forced`, `stale-data`, …). */
  readonly kind: string;
  readonly state: 'raised' | 'cleared';
  /** Device clock, epoch seconds (with a fraction). */
  readonly at: number;
}

export interface PurgeOptions {
  /** false: leave the revocations to purgeExpiredRevocations (default true: the whole list in this call). */
  readonly revocations?: boolean;
}

export interface PurgeResult {
  readonly revocations: number;
  readonly events: number;
  readonly passback: number;
}

export interface StoreOptions {
  /** Clock for the store's own time stamps (secret creation, wipedAt), epoch seconds. Default: system clock. */
  readonly now?: () => number;
  /** How long a writer waits for a lock held by another connection, ms. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** SQLite page cache per connection, KiB. Default 8192 (8 MiB): keeps RSS low with a million revocations. */
  readonly cacheSizeKiB?: number;
  /** Memory-mapped I/O size, bytes. Default 0 (off): mapped pages count towards RSS. */
  readonly mmapSizeBytes?: number;
  /** A revoked id is kept this long after its pass expired, seconds. Default 86400 (one day, ≫ clock skew). */
  readonly revocationGraceSeconds?: number;
}

export interface DeviceStore {
  /** Keyed hash (HMAC-SHA-256 with the per-device secret, first 128 bits) of a pass id, lower-case hex. */
  passHash(passId: string): string;

  getBundle(): StoredBundle | null;
  /** Refuses a version not above the one held (ProtocolError VERSION_ROLLBACK); the store is then unchanged. */
  putBundle(bytes: Uint8Array, bundle: TrustBundle, receivedAt: number): void;

  revocationSeq(): number;
  revocationInfo(): RevocationInfo;
  isRevoked(revocationId: string): boolean;
  /**
   * Apply a verified delta or snapshot in one transaction. A snapshot replaces the whole list and must be newer
   * than the held sequence; a delta must start at it (SEQUENCE_GAP) and end above it (VERSION_ROLLBACK). On any
   * error nothing changes.
   */
  applyRevocations(delta: RevocationDelta, receivedAt: number): void;
  /**
   * Apply verified partitions of a partitioned list (protocol/revocation-partitions.ts) in one transaction: each
   * partition's id range is replaced by its content; `whole` replaces the whole list. The same sequence and history
   * checks as applyRevocations; on any error nothing changes.
   */
  applyRevocationPartitions(update: PartitionUpdate, receivedAt: number): void;
  /**
   * Begin a staged update of the revocation list (docs/sync.md "Partitioned sync"): partitions are written in short
   * transactions under a generation lookups do not see, and `commit` publishes them in one small transaction. The
   * sequence rules are checked at begin and again at commit. One stage at a time: CONFLICT otherwise, and deltas
   * are refused (CONFLICT) while one is under way. A stage left by a crash: see recoverRevocationStage.
   */
  beginRevocationStage(target: StageTarget): RevocationStage;
  /**
   * Undo a staged update left pending by a crash or a power cut (true when there was one). Lookups never see such
   * a stage; the writer calls this when it starts (the trust keeper), and every revocation write does it first.
   */
  recoverRevocationStage(): boolean;

  /**
   * Remove revocations whose pass expired more than the grace ago (measured against the signed issue time of the
   * list when that is earlier than `now`, so a clock set forward cannot drop them), events older than the retention
   * window, and anti-passback rows that ran out.
   */
  purgeExpired(now: number, retentionSeconds: number, options?: PurgeOptions): PurgeResult;
  /**
   * Revocations only, one slice of the id space (`index` of `PURGE_SLICES`, by the ids' first byte). A running gate
   * purges slice by slice, yielding between them, so a list of millions never holds decisions for a whole scan.
   */
  purgeExpiredRevocations(now: number, index: number): number;

  getState(key: StateKey): string | null;
  setState(key: StateKey, value: string | null): void;
  /** Run `fn` in one transaction (store calls inside it become savepoints): all of it is kept, or none. */
  transaction<T>(fn: () => T): T;
  /** Raise the clock floor to `t` if it is higher; never lowers. Returns the floor. */
  raiseClockFloor(t: number): number;
  clockFloor(): number;

  /** The direction last recorded for this pass hash in this zone while its window is still open, else null. */
  passbackCheck(hash: string, zone: string, now: number): Direction | null;
  passbackRecord(hash: string, zone: string, direction: Direction, until: number): void;
  passbackRemove(hash: string, zone: string): void;

  addEvent(e: EventInput): number;
  /** Annul a grant (no passage followed): the event is marked not passed and queued for upload again. */
  markNotPassed(eventId: number): void;
  /** Events not yet uploaded, oldest first. */
  pendingEvents(limit: number): StoredEvent[];
  markUploaded(ids: readonly number[]): void;

  bump(counter: string, by?: number): void;
  counters(): Record<string, number>;

  /**
   * Queue an alarm transition for the server. The outbox holds at most ALARM_OUTBOX_MAX entries: beyond that the
   * oldest goes (counted as `alarms_dropped`). Returns the number dropped.
   */
  addAlarmOutbox(e: AlarmOutboxEntry): number;
  /** Alarm transitions not yet taken by the server, oldest first. */
  pendingAlarmOutbox(limit: number): AlarmOutboxEntry[];
  /** The server has these: remove them from the outbox. */
  removeAlarmOutbox(ids: readonly string[]): void;

  /**
   * The sunset: remove events, pass hashes, revocations, the trust bundle, the enrolment and sync state and the
   * device secret; keep counters, the clock floor and `wipedAt`; then VACUUM and truncate the WAL so the removed
   * data does not remain in the files.
   */
  wipe(): void;
  diagnostics(): StoreDiagnostics;
  close(): void;
}

/** Verified partitions of one manifest (device/trust/partitions.ts), applied by applyRevocationPartitions. */
export interface PartitionUpdate {
  readonly logId: string;
  readonly seq: number;
  readonly issuedAt: number;
  readonly prefixHex: number;
  /** True when the list held is of another history (or none): ids outside `partitions` are removed too. */
  readonly whole: boolean;
  readonly partitions: readonly { readonly index: number; readonly entries: readonly RevokedEntry[] }[];
}

/**
 * What a staged update leads to: the list `seq` of history `logId`, either cut into 16^prefixHex partitions (a
 * partition stage) or reached by a delta from `fromSeq` (a delta stage: same history, the list held at `fromSeq`).
 */
export interface StageTarget {
  readonly logId: string;
  readonly seq: number;
  readonly issuedAt: number;
  /** A partition stage: the partitions' prefix length (1 to 3 hex digits). */
  readonly prefixHex?: number;
  /** A delta stage: the sequence the delta starts at (SEQUENCE_GAP unless the list held is at it). */
  readonly fromSeq?: number;
  /** The list held is of another history (or none, or wiped): every partition must be staged before commit. */
  readonly whole: boolean;
}

/**
 * A staged revocation update (DeviceStore.beginRevocationStage). The step methods return iterables: each step is
 * one short transaction (a few thousand rows) and yields the rows it handled, so the caller can let the event loop
 * run between steps; iterate each to its end.
 */
export interface RevocationStage {
  readonly generation: number;
  /** Replace the content of partition `index` by `entries` (ascending ids, all of that partition). */
  replacePartition(index: number, entries: readonly RevokedEntry[] | PackedEntries): Iterable<number>;
  /**
   * A delta stage: add `added` and remove `removed` (each ascending by id; an id in both stays revoked). An added id
   * held keeps the later expiry; a removed id not held changes nothing. Calls must not overlap in id ranges.
   */
  applyDelta(added: readonly RevokedEntry[] | PackedEntries, removed: readonly string[] | PackedIds): Iterable<number>;
  /**
   * Called by a driver between two steps (of any of the above, or of abort): from the first call on, WAL checkpoints
   * run in a worker thread instead of in the steps' commits; a promise when the writer should wait for one (the WAL
   * is past its cap), else null. A driver that never calls it gets SQLite's automatic checkpoint.
   */
  pace(): Promise<void> | null;
  /** Re-check the sequence rules and publish, with `inside` run in the same transaction. */
  commit(receivedAt: number, inside?: () => void): void;
  /** After commit: delete the rows the update removed (invisible already). */
  cleanup(): Iterable<number>;
  /** Undo every row written, so the list is exactly as before; a no-op after commit. */
  abort(): Iterable<number>;
}

/** A partition's entries in ascending id order, read by position (device/trust/partition-verify.ts packs them). */
export interface PackedEntries {
  readonly length: number;
  /** Lower-case hex id of entry `k`. */
  id(k: number): string;
  expiresAt(k: number): number;
}

/** Revocation ids in ascending order, read by position (removed ids of a delta page). */
export interface PackedIds {
  readonly length: number;
  /** Lower-case hex id `k`. */
  id(k: number): string;
}
