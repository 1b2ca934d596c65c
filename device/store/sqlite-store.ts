// The DeviceStore over one better-sqlite3 connection. Each part (revocations, events and counters, anti-passback)
// keeps its own prepared statements; this class holds the bundle, the state, the clock floor and the per-device
// secret, turns every failure into a typed error, and performs the sunset wipe.
import { createHmac, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ProtocolError } from '../../protocol/errors.js';
import type { RevocationDelta, TrustBundle } from '../../protocol/types.js';
import { StoreError, toStoreError } from './errors.js';
import { AlarmOutbox } from './alarm-outbox.js';
import { EventLog } from './events.js';
import { PassbackTable } from './passback.js';
import { RevocationList } from './revocations.js';
import type {
  AlarmOutboxEntry,
  DeviceStore,
  Direction,
  EventInput,
  PartitionUpdate,
  PurgeOptions,
  PurgeResult,
  RevocationInfo,
  RevocationStage,
  StageTarget,
  StateKey,
  StoreDiagnostics,
  StoredBundle,
  StoredEvent,
} from './types.js';
import { STATE_KEYS } from './types.js';
import { schemaVersion } from './migrations.js';
import { seconds, stateKeyArg, stateValueArg, wholeNumber } from './validate.js';

/** Domain separation: the HMAC input is this label, a zero byte, then the pass id. */
const HASH_LABEL = 'gatecode/pass-hash/v1\0';
/** Hex digits kept of the HMAC-SHA-256: 128 bits. */
const HASH_HEX_LENGTH = 32;
/** State keys that only the store writes. */
const RESERVED_KEYS: ReadonlySet<string> = new Set([STATE_KEYS.clockFloor, STATE_KEYS.wipedAt]);

interface BundleRow {
  version: number;
  bytes: Buffer | null;
  bundle_json: string | null;
  received_at: number | null;
}

export interface StoreSettings {
  readonly now: () => number;
  readonly revocationGraceSeconds: number;
}

export class SqliteDeviceStore implements DeviceStore {
  private readonly revocations: RevocationList;
  private readonly events: EventLog;
  private readonly passback: PassbackTable;
  private readonly alarmOutbox: AlarmOutbox;
  private readonly stmt;
  private secretKey: Buffer | null = null;
  private bundleCache: StoredBundle | null | undefined = undefined;
  private readonly putBundleTx: Database.Transaction<
    (bytes: Uint8Array, bundle: TrustBundle, receivedAt: number) => void
  >;
  private readonly raiseFloorTx: Database.Transaction<(t: number) => number>;
  private readonly wipeTx: Database.Transaction<() => void>;

  constructor(
    private readonly db: Database.Database,
    private readonly settings: StoreSettings,
  ) {
    this.revocations = new RevocationList(db);
    this.events = new EventLog(db);
    this.passback = new PassbackTable(db);
    this.alarmOutbox = new AlarmOutbox(db, (n) => this.events.bump('alarms_dropped', n));
    this.stmt = {
      getSecret: db.prepare<[], Buffer>('SELECT secret FROM device_secret WHERE id = 1').pluck(),
      putSecret: db.prepare<[Buffer, number]>('INSERT INTO device_secret (id, secret, created_at) VALUES (1, ?, ?)'),
      deleteSecret: db.prepare('DELETE FROM device_secret'),
      getBundle: db.prepare<[], BundleRow>(
        'SELECT version, bytes, bundle_json, received_at FROM trust_bundle WHERE id = 1',
      ),
      putBundle: db.prepare<[number, Buffer, string, number]>(
        `INSERT INTO trust_bundle (id, version, bytes, bundle_json, received_at) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, bytes = excluded.bytes,
         bundle_json = excluded.bundle_json, received_at = excluded.received_at`,
      ),
      clearBundle: db.prepare('UPDATE trust_bundle SET bytes = NULL, bundle_json = NULL, received_at = NULL'),
      getState: db.prepare<[string], string>('SELECT value FROM state WHERE key = ?').pluck(),
      putState: db.prepare<[string, string]>(
        'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      deleteState: db.prepare<[string]>('DELETE FROM state WHERE key = ?'),
      clearStateExcept: db.prepare<[string]>('DELETE FROM state WHERE key <> ?'),
    };
    this.putBundleTx = db.transaction((bytes: Uint8Array, bundle: TrustBundle, receivedAt: number) => {
      const held = this.stmt.getBundle.get()?.version ?? 0;
      if (bundle.version <= held) {
        throw new ProtocolError('VERSION_ROLLBACK', `bundle version ${bundle.version} is not above ${held}`);
      }
      this.stmt.putBundle.run(bundle.version, Buffer.from(bytes), JSON.stringify(bundle), receivedAt);
    });
    this.raiseFloorTx = db.transaction((t: number) => {
      const floor = Math.max(this.readFloor(), t);
      this.stmt.putState.run(STATE_KEYS.clockFloor, String(floor));
      return floor;
    });
    this.wipeTx = db.transaction(() => {
      this.events.wipe();
      this.passback.wipe();
      this.alarmOutbox.wipe();
      this.revocations.wipe();
      this.stmt.clearBundle.run();
      this.stmt.deleteSecret.run();
      this.stmt.clearStateExcept.run(STATE_KEYS.clockFloor);
      this.stmt.putState.run(STATE_KEYS.wipedAt, String(this.settings.now()));
    });
  }

  /** Run `fn` as the store operation `op`: refuse after close, and type every failure. */
  private guard<T>(op: string, fn: () => T): T {
    if (!this.db.open) throw new StoreError('CLOSED', `${op}: the store is closed`);
    try {
      return fn();
    } catch (err) {
      throw toStoreError(err, op);
    }
  }

  private secret(): Buffer {
    if (this.secretKey !== null) return this.secretKey;
    let key = this.stmt.getSecret.get();
    if (key === undefined) {
      key = randomBytes(32);
      this.stmt.putSecret.run(key, Math.floor(this.settings.now()));
    }
    this.secretKey = key;
    return key;
  }

  passHash(passId: string): string {
    return this.guard('passHash', () => {
      if (typeof passId !== 'string' || passId.length === 0 || passId.length > 256) {
        throw new StoreError('INVALID_ARGUMENT', 'passId: expected a non-empty string');
      }
      const mac = createHmac('sha256', this.secret());
      mac.update(HASH_LABEL);
      mac.update(passId);
      return mac.digest('hex').slice(0, HASH_HEX_LENGTH);
    });
  }

  getBundle(): StoredBundle | null {
    return this.guard('getBundle', () => {
      if (this.bundleCache !== undefined) return this.bundleCache;
      const row = this.stmt.getBundle.get();
      let result: StoredBundle | null = null;
      if (row !== undefined && row.bytes !== null && row.bundle_json !== null && row.received_at !== null) {
        result = {
          bytes: new Uint8Array(row.bytes),
          bundle: JSON.parse(row.bundle_json) as TrustBundle,
          receivedAt: row.received_at,
        };
      }
      this.bundleCache = result;
      return result;
    });
  }

  putBundle(bytes: Uint8Array, bundle: TrustBundle, receivedAt: number): void {
    this.guard('putBundle', () => {
      if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
        throw new StoreError('INVALID_ARGUMENT', 'bytes: expected a non-empty Uint8Array');
      }
      if (bundle === null || typeof bundle !== 'object')
        throw new StoreError('INVALID_ARGUMENT', 'bundle: expected an object');
      wholeNumber(bundle.version, 'bundle.version');
      seconds(receivedAt, 'receivedAt');
      this.putBundleTx.immediate(bytes, bundle, receivedAt);
      this.bundleCache = undefined;
    });
  }

  revocationSeq(): number {
    return this.guard('revocationSeq', () => this.revocations.seq());
  }

  revocationInfo(): RevocationInfo {
    return this.guard('revocationInfo', () =>
      this.revocations.info(() => this.guard('revocationInfo', () => this.revocations.countVisible())),
    );
  }

  isRevoked(revocationId: string): boolean {
    return this.guard('isRevoked', () => this.revocations.has(revocationId));
  }

  applyRevocations(delta: RevocationDelta, receivedAt: number): void {
    this.guard('applyRevocations', () => this.revocations.apply(delta, receivedAt));
  }

  applyRevocationPartitions(update: PartitionUpdate, receivedAt: number): void {
    this.guard('applyRevocationPartitions', () => this.revocations.applyPartitions(update, receivedAt));
  }

  recoverRevocationStage(): boolean {
    return this.guard('recoverRevocationStage', () => this.revocations.recoverStale());
  }

  beginRevocationStage(target: StageTarget): RevocationStage {
    const stage = this.guard('beginRevocationStage', () => this.revocations.beginStage(target));
    const steps = (op: string, it: () => Iterator<number>): Iterable<number> => ({
      [Symbol.iterator]: () => {
        const inner = this.guard(op, it);
        return { next: () => this.guard(op, () => inner.next()) };
      },
    });
    return {
      generation: stage.generation,
      replacePartition: (index, entries) => steps('replacePartition', () => stage.replacePartition(index, entries)),
      applyDelta: (added, removed) => steps('applyRevocationDelta', () => stage.applyDelta(added, removed)),
      pace: () => this.guard('paceRevocationStage', () => stage.pace()),
      commit: (receivedAt, inside) =>
        this.guard('commitRevocationStage', () => stage.commit(seconds(receivedAt, 'receivedAt'), inside)),
      cleanup: () => steps('cleanupRevocationStage', () => stage.cleanup()),
      abort: () => steps('abortRevocationStage', () => stage.abort()),
    };
  }

  purgeExpired(now: number, retentionSeconds: number, options: PurgeOptions = {}): PurgeResult {
    return this.guard('purgeExpired', () => {
      seconds(now, 'now');
      seconds(retentionSeconds, 'retentionSeconds');
      const floor = this.readFloor();
      const withRevocations = options.revocations !== false;
      const result = this.db
        .transaction(() => ({
          revocations: withRevocations
            ? this.revocations.purgeExpired(now, floor, this.settings.revocationGraceSeconds)
            : 0,
          // A clock below the floor is wrong; purging against the floor errs on the side of privacy.
          events: this.events.purgeOlderThan(Math.max(now, floor) - retentionSeconds),
          passback: this.passback.purgeExpired(now),
        }))
        .immediate();
      // secure_delete zeroed the cells; a truncating checkpoint also drops the old page images kept in the WAL.
      if (result.events > 0 || result.passback > 0)
        this.revocations.quietCheckpoint(() => this.db.pragma('wal_checkpoint(TRUNCATE)'));
      return result;
    });
  }

  purgeExpiredRevocations(now: number, index: number): number {
    return this.guard('purgeExpiredRevocations', () => {
      seconds(now, 'now');
      return this.revocations.purgeExpiredSlice(now, this.readFloor(), this.settings.revocationGraceSeconds, index);
    });
  }

  getState(key: StateKey): string | null {
    return this.guard('getState', () => this.stmt.getState.get(stateKeyArg(key)) ?? null);
  }

  setState(key: StateKey, value: string | null): void {
    this.guard('setState', () => {
      const k = stateKeyArg(key);
      if (RESERVED_KEYS.has(k)) throw new StoreError('INVALID_ARGUMENT', `state key ${k} is written by the store only`);
      const v = stateValueArg(value);
      if (v === null) this.stmt.deleteState.run(k);
      else this.stmt.putState.run(k, v);
    });
  }

  private readFloor(): number {
    const text = this.stmt.getState.get(STATE_KEYS.clockFloor);
    return text === undefined ? 0 : Number(text);
  }

  transaction<T>(fn: () => T): T {
    return this.guard('transaction', () => this.db.transaction(fn).immediate());
  }

  raiseClockFloor(t: number): number {
    return this.guard('raiseClockFloor', () => this.raiseFloorTx.immediate(seconds(t, 'clock floor')));
  }

  clockFloor(): number {
    return this.guard('clockFloor', () => this.readFloor());
  }

  passbackCheck(hash: string, zone: string, now: number): Direction | null {
    return this.guard('passbackCheck', () => this.passback.lastDirection(hash, zone, now));
  }

  passbackRecord(hash: string, zone: string, direction: Direction, until: number): void {
    this.guard('passbackRecord', () => this.passback.put(hash, zone, direction, until));
  }

  passbackRemove(hash: string, zone: string): void {
    this.guard('passbackRemove', () => this.passback.delete(hash, zone));
  }

  addEvent(e: EventInput): number {
    return this.guard('addEvent', () => this.events.add(e));
  }

  markNotPassed(eventId: number): void {
    this.guard('markNotPassed', () => this.events.markNotPassed(eventId));
  }

  pendingEvents(limit: number): StoredEvent[] {
    return this.guard('pendingEvents', () => this.events.pendingEvents(limit));
  }

  markUploaded(ids: readonly number[]): void {
    this.guard('markUploaded', () => this.events.markUploaded(ids));
  }

  bump(counter: string, by = 1): void {
    this.guard('bump', () => this.events.bump(counter, by));
  }

  counters(): Record<string, number> {
    return this.guard('counters', () => this.events.counters());
  }

  addAlarmOutbox(e: AlarmOutboxEntry): number {
    return this.guard('addAlarmOutbox', () => this.alarmOutbox.add(e));
  }

  pendingAlarmOutbox(limit: number): AlarmOutboxEntry[] {
    return this.guard('pendingAlarmOutbox', () => this.alarmOutbox.pending(limit));
  }

  removeAlarmOutbox(ids: readonly string[]): void {
    this.guard('removeAlarmOutbox', () => this.alarmOutbox.remove(ids));
  }

  wipe(): void {
    this.guard('wipe', () => {
      this.wipeTx.immediate();
      this.secretKey?.fill(0);
      this.secretKey = null;
      this.bundleCache = undefined;
      // Rebuild the file from the live rows only, then fold the WAL back and truncate it: the removed pages are
      // then in neither file.
      const [status] = this.revocations.quietCheckpoint(() => {
        this.db.exec('VACUUM');
        return this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      });
      if (status !== undefined && status.busy !== 0) {
        throw new StoreError('BUSY', 'wipe committed, but another connection kept the WAL from being truncated');
      }
    });
  }

  diagnostics(): StoreDiagnostics {
    return this.guard('diagnostics', () => {
      const num = (pragma: string): number => Number(this.db.pragma(pragma, { simple: true }));
      return {
        schemaVersion: schemaVersion(this.db),
        journalMode: String(this.db.pragma('journal_mode', { simple: true })),
        synchronous: num('synchronous'),
        foreignKeys: num('foreign_keys') === 1,
        busyTimeoutMs: num('busy_timeout'),
        secureDelete: num('secure_delete') === 1,
        cacheSizeKiB: -num('cache_size'),
        pageCount: num('page_count'),
        pageSize: num('page_size'),
      };
    });
  }

  close(): void {
    if (!this.db.open) return;
    this.secretKey?.fill(0);
    this.secretKey = null;
    this.revocations.close();
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another process reading keeps the WAL; SQLite checkpoints it later. Closing must still happen.
    }
    this.db.close();
  }
}
