// The server's state in one place: database, keys, trust bundle, revocation log, audit, publish dir.
// Every change runs through `change()`: one SQLite transaction that may add a revocation step and/or build a new
// bundle version, then the publish dir is rewritten. Route handlers never touch SQL directly.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { every, systemClock } from '../common/clock.js';
import type { CancelTimer, Clock } from '../common/clock.js';
import { AuditLog } from './audit.js';
import { DomainError } from './errors.js';
import { FRESHNESS_PUBLISH_SECONDS, FreshnessSigner } from './freshness.js';
import type { ServerConfig } from './config.js';
import { openDatabase, type Db } from './db.js';
import { claimHome, historyCheck, startHistory, type HistoryReason } from './history.js';
import { KeyStore } from './keystore.js';
import { lockDataDir } from './lock.js';
import { Publisher } from './publish.js';
import { RevocationLog } from './revocation-log.js';
import { TrustState } from './trust.js';

const PUBLISH_RETRY_MS = 5000;
/** A device-reported gap starts a new history at most this often (seconds). */
const GAP_RESTART_SECONDS = 600;

export type { Clock } from '../common/clock.js';

export interface CoreOptions {
  readonly config: ServerConfig;
  readonly log: Logger;
  /** Wall clock (epoch ms) and timers (publish delay, retry, freshness refresh); default the system clock. */
  readonly clock?: Clock;
}

export interface ChangeEffects {
  /** Build and sign a new bundle version after the change. */
  readonly bundle?: boolean;
  /** The change added a revocation step: apply the compaction rule. */
  readonly revocations?: boolean;
  /**
   * Default true: the commit is on disk before `change` returns (the connection runs synchronous = FULL: the WAL
   * is fsynced at every commit), so a 2xx for an issue, revoke, rotation or policy change survives a power cut.
   * Only bulk device data (event uploads, which the device re-sends until answered) passes false and commits with
   * synchronous = NORMAL (durable at the next checkpoint or FULL commit).
   */
  readonly durable?: boolean;
}

export class ServerCore {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly db: Db;
  readonly keys: KeyStore;
  readonly trust: TrustState;
  readonly revocations: RevocationLog;
  readonly audit: AuditLog;
  readonly freshness: FreshnessSigner;
  /** The injected clock, the one every timer of the server runs on. */
  readonly time: Clock;
  /** Epoch milliseconds from the injected clock (the route modules call it). */
  readonly clock: () => number;
  readonly publishDir: string;
  readonly dbFile: string;
  /** The URL the server listens on, once it does (startServer); enrolment codes of a loopback server use it. */
  listenUrl: string | null = null;
  private readonly publisher: Publisher;
  private publishTimer: CancelTimer | null = null;
  private freshnessTimer: CancelTimer | null = null;
  private freshnessRefresh: CancelTimer | null = null;
  private readonly unlock: () => void;
  private lastRestartAt: number | null = null;

  constructor(opts: CoreOptions) {
    this.config = opts.config;
    this.log = opts.log;
    const time = opts.clock ?? systemClock;
    this.time = time;
    this.clock = () => time.now();
    fs.mkdirSync(this.config.dataDir, { recursive: true, mode: 0o700 });
    this.unlock = lockDataDir(this.config.dataDir);
    this.dbFile = path.join(this.config.dataDir, 'gatecode.db');
    try {
      this.db = openDatabase(this.dbFile);
    } catch (err) {
      this.unlock();
      throw err;
    }
    this.keys = new KeyStore(this.db, this.config.dataDir);
    this.trust = new TrustState(this.db, this.keys);
    this.revocations = new RevocationLog(
      this.db,
      this.keys,
      path.join(this.config.dataDir, 'partitions'),
      this.config.revocations.pageEntries,
    );
    this.audit = new AuditLog(this.db);
    this.freshness = new FreshnessSigner(this.trust, this.revocations, this.keys);
    this.publishDir = this.config.publishDir ?? path.join(this.config.dataDir, 'publish');
    this.publisher = new Publisher(this.publishDir);
  }

  /** Epoch seconds from the injected clock. */
  now(): number {
    return Math.floor(this.clock() / 1000);
  }

  /** First start: keys, policy, bundle version 1 and revocation step 1 (an empty list). Idempotent. */
  init(): { createdKeys: boolean } {
    const now = this.now();
    const { config } = this;
    const createdKeys = this.db.transaction(() => {
      const created = this.keys.init({
        issuer: config.issuer,
        rootFile: config.keys.root,
        issuerFile: config.keys.issuer,
        now,
      });
      const p = config.initialPolicy;
      const wrote = this.trust.initPolicy({
        actions: p.actions,
        maxOfflineAgeSeconds: p.maxOfflineAgeSeconds,
        sunset: now + p.sunsetAfterDays * 86400,
      });
      if (!this.trust.hasBundle()) this.trust.rebuild(now);
      if (this.revocations.seq() === 0) this.revocations.addStep([], now);
      if (wrote) this.audit.record(now, 'server', 'server.init', null, { rootKid: this.keys.root().kid });
      const reason = historyCheck(this.db, this.dbFile, this.publishDir, this.revocations.seq());
      if (reason !== null) this.beginHistory(reason, now);
      claimHome(this.db, this.dbFile);
      return created;
    })();
    this.publish();
    // freshness.cose is rewritten every FRESHNESS_PUBLISH_SECONDS, so the published statement stays recent.
    this.freshnessTimer ??= every(this.time, FRESHNESS_PUBLISH_SECONDS * 1000, () => this.publishFreshness());
    // The statement the API serves is re-signed on this timer, not by a poll (freshness.ts).
    this.freshnessRefresh ??= every(this.time, this.config.freshnessRefreshSeconds * 1000, () => this.refreshFreshness());
    return { createdKeys };
  }

  /**
   * Start a new history (history.ts) inside the caller's transaction: a new log id and, unless this is the very
   * first start, a bundle version lifted to at least now, so devices take the new bundle whatever they hold.
   */
  private beginHistory(reason: HistoryReason, now: number): void {
    const info = startHistory(this.db, reason, now);
    this.revocations.invalidate();
    if (reason !== 'start') this.trust.rebuild(now, now);
    this.audit.record(now, 'server', 'history.start', info.logId, { reason, revocationSeq: this.revocations.seq() });
    this.log.warn({ logId: info.logId, reason }, 'a new server history starts: devices fetch a full snapshot');
  }

  /**
   * A device showed that this history was rewound (`since` above the current sequence): start a new one. A device
   * token could claim this falsely to make every gate fetch a snapshot, so it is honoured at most once per
   * GAP_RESTART_SECONDS; returns whether a new history started.
   */
  restartHistory(reason: HistoryReason): boolean {
    const now = this.now();
    if (this.lastRestartAt !== null && now - this.lastRestartAt < GAP_RESTART_SECONDS) return false;
    this.lastRestartAt = now;
    try {
      this.db.transaction(() => this.beginHistory(reason, now))();
    } catch (err) {
      this.trust.invalidate();
      this.revocations.invalidate();
      throw err;
    }
    this.schedulePublish();
    return true;
  }

  /** True once the deployment's signed sunset has passed: the deployment is over. */
  sunsetPassed(now = this.now()): boolean {
    return this.trust.policy().sunset <= now;
  }

  /**
   * After the sunset the deployment is over: every device has refused every pass and wiped its data, and the
   * server signs nothing more (no pass, bundle, revocation list or enrolment). A new deployment needs a new root.
   */
  assertLive(now: number): void {
    if (this.sunsetPassed(now))
      throw new DomainError('DEPLOYMENT_ENDED', { detail: new Date(this.trust.policy().sunset * 1000).toISOString() });
  }

  /** Run `fn` and its effects in one transaction, then rewrite the publish dir. */
  change<T>(effects: ChangeEffects, fn: (now: number) => T): T {
    const now = this.now();
    const durable = effects.durable !== false;
    let result: T;
    if (!durable) this.db.pragma('synchronous = NORMAL');
    try {
      result = this.db.transaction(() => {
        if (effects.bundle || effects.revocations) this.assertLive(now);
        const r = fn(now);
        if (effects.revocations) {
          this.revocations.compact(now, this.config.revocations);
        }
        if (effects.bundle) this.trust.rebuild(now);
        return r;
      })();
      this.keys.keepPending();
    } catch (err) {
      this.trust.invalidate();
      this.revocations.invalidate();
      this.keys.discardPending();
      throw err;
    } finally {
      if (!durable) this.db.pragma('synchronous = FULL');
    }
    if (effects.bundle || effects.revocations) {
      this.freshness.current(now); // signed now, not by the first poll after the change
      this.schedulePublish();
    }
    return result;
  }

  /**
   * Rewrite the publish dir soon: a burst of changes (a script revoking many passes) is published once, after
   * `publishDelayMs`, instead of re-signing the whole snapshot for each change. 0 publishes at once.
   */
  schedulePublish(): void {
    if (this.config.publishDelayMs === 0) {
      this.publish();
      return;
    }
    this.publishTimer ??= this.time.setTimer(this.config.publishDelayMs, () => this.publish());
  }

  /** Publish now if a publish is pending (on shutdown, and in tests). */
  flushPublish(): void {
    if (this.publishTimer) this.publish();
  }

  /**
   * Rewrite the publish dir. A failure (disk full, folder not writable) is logged and retried every
   * PUBLISH_RETRY_MS until it succeeds; the API keeps serving the current artefacts meanwhile. Returns success.
   */
  publish(): boolean {
    this.publishTimer?.();
    this.publishTimer = null;
    if (!this.db.open) return false;
    try {
      const now = this.now();
      this.publisher.publish(this.trust, this.revocations, this.freshness.current(now).bytes, now);
      return true;
    } catch (err) {
      this.log.error({ err: (err as Error).message, dir: this.publishDir }, 'publish failed; retrying');
      this.publishTimer = this.time.setTimer(PUBLISH_RETRY_MS, () => this.publish());
      return false;
    }
  }

  /** Sign the served freshness statement afresh when it is `freshnessRefreshSeconds` old (the timer's job). */
  refreshFreshness(): void {
    if (!this.db.open || this.sunsetPassed()) return;
    this.freshness.current(this.now(), this.config.freshnessRefreshSeconds);
  }

  /** Rewrite only freshness.cose (the periodic refresh); a failure is logged and retried at the next period. */
  publishFreshness(): boolean {
    if (!this.db.open || this.sunsetPassed()) return false;
    try {
      this.publisher.publishFreshness(this.freshness.current(this.now()).bytes);
      return true;
    } catch (err) {
      this.log.error({ err: (err as Error).message, dir: this.publishDir }, 'publishing freshness.cose failed');
      return false;
    }
  }

  close(): void {
    this.freshnessTimer?.();
    this.freshnessTimer = null;
    this.freshnessRefresh?.();
    this.freshnessRefresh = null;
    this.flushPublish();
    this.publishTimer?.();
    this.publishTimer = null;
    if (this.db.open) this.db.close();
    this.unlock();
  }
}
