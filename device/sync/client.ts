// The device's sync client: a poll loop that fetches the trust bundle and revocations (conditional GETs) and a
// signed freshness statement, verifies each against the pinned root before the store sees it, uploads queued events idempotently, sends a
// heartbeat, and reports online/offline, data age and clock drift to the runtime. It never stops the device
// deciding: the store keeps the last good data whatever the network does.
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { isStoreError } from '../store/errors.js';
import { STATE_KEYS } from '../store/types.js';
import type { TrustBundle } from '../../protocol/types.js';
import { applyBundleBytes, applyFreshnessBytes, applyRevocationBytes, signedDataAt } from './apply.js';
import type { ApplyResult } from './apply.js';
import { nextDelay } from './backoff.js';
import type { PollTiming } from './backoff.js';
import { readEnrolment } from './enrolment.js';
import type { Enrolment } from './enrolment.js';
import { SyncError, isSyncError } from './errors.js';
import { DeviceApi } from './http.js';
import { syncOptions } from './options.js';
import type { SyncOptions, SyncOptionsInput } from './options.js';
import { idempotencyKey, toWireEvent } from './upload.js';
import { silentLogger } from './types.js';
import type { FetchLike, SyncLogger, SyncStore } from './types.js';

/** What the runtime and the status page see. Times are epoch seconds. */
export interface SyncState {
  readonly enrolled: boolean;
  readonly deviceId: string | null;
  /** The last cycle reached the server and the token was accepted. */
  readonly online: boolean;
  /** Last cycle that reached the server and verified everything it got (informational: unsigned answers count). */
  readonly lastSyncAt: number | null;
  /**
   * When the held data is known current, from signed data only (a freshness statement naming the held data, else
   * the signed issue times): the data's age counts from here. A 304 or a heartbeat never moves it.
   */
  readonly trustDataAt: number | null;
  readonly lastAttemptAt: number | null;
  readonly bundleVersion: number | null;
  readonly revocationSeq: number | null;
  readonly sunset: number | null;
  readonly maxOfflineAgeSeconds: number | null;
  /** Server clock minus local clock, seconds (from the heartbeat, else the Date header). */
  readonly clockDriftSeconds: number | null;
  /** A SyncReason, or `REJECTED:<ProtocolReason>` for a refused artefact; null after a clean cycle. */
  readonly lastError: string | null;
  readonly consecutiveFailures: number;
  /** When the next cycle is due, epoch ms; null when the loop is not running. */
  readonly nextPollAt: number | null;
}

/** The seam to the runtime: told when new trust data is in the store, and after every state change. */
export interface SyncListener {
  trustDataChanged?(change: { readonly bundle: TrustBundle | null; readonly revocationSeq: number }): void;
  syncState?(state: SyncState): void;
}

export interface CycleResult {
  readonly ok: boolean;
  readonly bundle: ApplyResult | 'not-modified' | null;
  readonly revocations: readonly (ApplyResult | 'not-modified')[];
  /** The freshness statement's outcome; null when none was fetched (no bundle held, or the cycle failed before). */
  readonly freshness: ApplyResult | null;
  readonly eventsUploaded: number;
  readonly error: SyncError | null;
}

export interface SyncClientDeps {
  readonly store: SyncStore;
  readonly fetch?: FetchLike;
  readonly clock?: Clock;
  /** Uniform in [0, 1); for jitter. */
  readonly random?: () => number;
  readonly log?: SyncLogger;
  readonly listener?: SyncListener;
  /** Software version reported in the heartbeat. */
  readonly softwareVersion?: string;
}

export class SyncClient {
  private readonly opts: SyncOptions;
  private readonly timing: PollTiming;
  private readonly store: SyncStore;
  private readonly clock: Clock;
  private readonly fetchFn: FetchLike;
  private readonly random: () => number;
  private readonly log: SyncLogger;
  private readonly listeners: SyncListener[] = [];
  private readonly etags = {
    bundle: null as string | null,
    revocations: null as { since: number; logId: string | null; etag: string } | null,
  };
  private state: SyncState;
  private running = false;
  private cancelTimer: (() => void) | null = null;
  private inFlight: Promise<CycleResult> | null = null;
  private lastRetryAfterSeconds: number | null = null;

  constructor(
    private readonly deps: SyncClientDeps,
    options: SyncOptionsInput = {},
  ) {
    this.opts = syncOptions(options);
    this.timing = {
      pollIntervalMs: this.opts.pollIntervalSeconds * 1000,
      jitter: this.opts.jitter,
      backoffBaseMs: this.opts.backoffBaseSeconds * 1000,
      backoffMaxMs: this.opts.backoffMaxSeconds * 1000,
    };
    this.store = deps.store;
    this.clock = deps.clock ?? systemClock;
    this.fetchFn = deps.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.random = deps.random ?? Math.random;
    this.log = deps.log ?? silentLogger;
    if (deps.listener) this.listeners.push(deps.listener);
    const lastSync = Number(this.store.getState(STATE_KEYS.lastSyncAt));
    const enrolment = readEnrolment(this.store);
    this.state = {
      enrolled: enrolment !== null,
      deviceId: enrolment?.deviceId ?? null,
      online: false,
      lastSyncAt: Number.isFinite(lastSync) && lastSync > 0 ? lastSync : null,
      lastAttemptAt: null,
      ...this.trustFigures(),
      clockDriftSeconds: null,
      lastError: null,
      consecutiveFailures: 0,
      nextPollAt: null,
    };
  }

  /** Add a listener (e.g. the status hub adapter); returns a function that removes it. */
  subscribe(listener: SyncListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  status(): SyncState {
    return this.state;
  }

  /** Seconds since the held data is known current (signed), or null without data. */
  dataAgeSeconds(): number | null {
    const t = this.state.trustDataAt;
    return t === null ? null : Math.max(0, Math.floor(this.clock.now() / 1000) - t);
  }

  /** Start polling: the first cycle runs at once, later ones on the jittered interval or the backoff. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stop polling and wait for a cycle in progress to end. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.setState({ nextPollAt: null });
    if (this.inFlight) await this.inFlight.catch(() => undefined);
  }

  /** Run one cycle now (or join the one in progress); the loop, if running, is rescheduled after it. */
  syncNow(): Promise<CycleResult> {
    if (this.inFlight) return this.inFlight;
    this.cancelTimer?.();
    this.cancelTimer = null;
    const p = this.cycle()
      .catch((err: unknown) => this.failedOutsideExchange(err))
      .finally(() => {
        this.inFlight = null;
        if (this.running) this.schedule(this.delayAfter());
      });
    this.inFlight = p;
    return p;
  }

  /** A cycle that failed outside the HTTP exchange (the store closed or failing): counted, logged, never thrown. */
  private failedOutsideExchange(err: unknown): CycleResult {
    const error = isStoreError(err)
      ? new SyncError('STORE', `device store: ${err.code}`)
      : new SyncError('BAD_RESPONSE', 'unexpected failure');
    this.log.error({ err: errorName(err) }, 'sync cycle failed');
    this.setState({ online: false, lastError: error.code, consecutiveFailures: this.state.consecutiveFailures + 1 });
    return { ok: false, bundle: null, revocations: [], freshness: null, eventsUploaded: 0, error };
  }

  /** The loop's next delay: jittered interval or backoff, but never sooner than the server's Retry-After. */
  private delayAfter(): number {
    const delay = nextDelay(this.timing, this.state.consecutiveFailures, this.random);
    const retryAfter = this.lastRetryAfterSeconds;
    return retryAfter === null ? delay : Math.max(delay, Math.min(retryAfter * 1000, this.timing.backoffMaxMs));
  }

  /** Resolves when no cycle is in progress (tests use it after advancing a manual clock). */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight.catch(() => undefined);
  }

  private schedule(ms: number): void {
    this.cancelTimer?.();
    this.setState({ nextPollAt: this.clock.now() + ms });
    this.cancelTimer = this.clock.setTimer(ms, () => {
      this.cancelTimer = null;
      if (this.running) void this.syncNow();
    });
  }

  private async cycle(): Promise<CycleResult> {
    const nowS = (): number => Math.floor(this.clock.now() / 1000);
    const startedAt = nowS();
    const enrolment = readEnrolment(this.store);
    if (!enrolment) {
      const error = new SyncError('NOT_ENROLLED', 'the device is not enrolled');
      const result = { ok: false, bundle: null, revocations: [], freshness: null, eventsUploaded: 0, error };
      this.finish(result, startedAt, false);
      return result;
    }
    const api = new DeviceApi({
      serverUrl: enrolment.serverUrl,
      token: enrolment.token,
      fetch: this.fetchFn,
      clock: this.clock,
      timeoutMs: this.opts.requestTimeoutSeconds * 1000,
      maxBodyBytes: this.opts.maxDownloadBytes,
    });
    const ctx = { store: this.store, rootPublicKey: enrolment.rootPublicKey, log: this.log, nowSeconds: 0 };
    let bundle: CycleResult['bundle'] = null;
    const revocations: (ApplyResult | 'not-modified')[] = [];
    let freshness: ApplyResult | null = null;
    let eventsUploaded = 0;
    let changed = false;
    try {
      const b = await api.getBundle(this.etags.bundle);
      if (b.kind === 'not-modified') bundle = 'not-modified';
      else {
        bundle = applyBundleBytes({ ...ctx, nowSeconds: nowS() }, b.bytes);
        this.etags.bundle = bundle.kind === 'rejected' ? null : b.etag;
        changed ||= bundle.kind === 'applied';
      }
      // One answer brings the device to the server's current sequence (a delta since ours, or a snapshot).
      // Sequence numbers count within one server history: the log id held goes with them, and a server on another
      // history (restored, copied) answers with a snapshot of its own.
      const since = this.store.revocationSeq();
      const logId = this.store.revocationInfo().logId;
      const held = this.etags.revocations;
      const r = await api.getRevocations(
        since,
        logId,
        held && held.since === since && held.logId === logId ? held.etag : null,
      );
      if (r.kind === 'not-modified') revocations.push('not-modified');
      else {
        const result = applyRevocationBytes({ ...ctx, nowSeconds: nowS() }, r.bytes);
        revocations.push(result);
        // An ETag belongs to the URL it came with (`since` as asked).
        this.etags.revocations = result.kind !== 'rejected' && r.etag ? { since, logId, etag: r.etag } : null;
        changed ||= result.kind === 'applied';
      }
      // The data's age counts only from a signed statement that the server's current data is what we now hold.
      if (this.store.getBundle())
        freshness = applyFreshnessBytes({ ...ctx, nowSeconds: nowS() }, await api.getFreshness());
      if (changed) {
        changed = false; // told once
        this.notifyTrustData();
      }
      eventsUploaded = await this.uploadEvents(api, enrolment);
      await this.heartbeat(api);
    } catch (err) {
      if (changed) this.notifyTrustData();
      const error = isSyncError(err)
        ? err
        : isStoreError(err)
          ? new SyncError('STORE', `device store: ${err.code}`)
          : new SyncError('BAD_RESPONSE', `unexpected: ${errorName(err)}`);
      if (!isSyncError(err)) this.log.error({ err: errorName(err) }, 'sync cycle failed unexpectedly');
      const result = { ok: false, bundle, revocations, freshness, eventsUploaded, error };
      this.finish(result, startedAt, false, api);
      return result;
    }
    const rejected = [bundle, ...revocations, freshness].some(
      (r) => typeof r === 'object' && r !== null && r.kind === 'rejected',
    );
    const result = { ok: !rejected, bundle, revocations, freshness, eventsUploaded, error: null };
    this.finish(result, startedAt, true, api);
    return result;
  }

  private async uploadEvents(api: DeviceApi, enrolment: Enrolment): Promise<number> {
    const policy = { uploadPassHashes: this.opts.uploadPassHashes };
    let sent = 0;
    for (let batch = 0; batch < this.opts.maxBatchesPerCycle; batch++) {
      const events = this.store.pendingEvents(this.opts.eventBatchSize);
      if (events.length === 0) break;
      const key = idempotencyKey(enrolment.deviceId, events, policy);
      const ids = events.map((e) => e.id);
      try {
        await api.postEvents({ events: events.map((e) => toWireEvent(e, policy)) }, key);
      } catch (err) {
        // A batch the server refuses as such (400, 409, 413) would block the queue for ever: it is dropped from
        // the upload queue (the events stay in the device's window until retention), counted and logged.
        const status = isSyncError(err) ? err.status : null;
        if (status !== 400 && status !== 409 && status !== 413) throw err;
        this.store.markUploaded(ids);
        this.store.bump('sync_events_refused', events.length);
        this.log.error({ status, events: events.length }, 'the server refused an event batch; it is not sent again');
        continue;
      }
      this.store.markUploaded(ids);
      sent += events.length;
      if (events.length < this.opts.eventBatchSize) break;
    }
    if (sent > 0) this.log.debug({ events: sent }, 'events uploaded');
    return sent;
  }

  private async heartbeat(api: DeviceApi): Promise<void> {
    const held = this.store.getBundle();
    const versions: Record<string, string | number> = { bundle: held?.bundle.version ?? 0 };
    if (this.deps.softwareVersion) versions['software'] = this.deps.softwareVersion;
    await api.heartbeat({
      versions,
      seq: this.store.revocationSeq(),
      // The device's clock at sending, epoch seconds: the server works out the drift from it.
      clock: Math.round(this.clock.now()) / 1000,
      counters: this.store.counters(),
      trustDataAt: signedDataAt(this.store),
    });
  }

  private finish(result: CycleResult, startedAt: number, reached: boolean, api?: DeviceApi): void {
    const failures = result.ok ? 0 : this.state.consecutiveFailures + 1;
    this.lastRetryAfterSeconds = result.error?.retryAfterSeconds ?? null;
    const rejected = [result.bundle, ...result.revocations, result.freshness].find(
      (r): r is Extract<ApplyResult, { kind: 'rejected' }> =>
        typeof r === 'object' && r !== null && r.kind === 'rejected',
    );
    const lastError = result.error ? result.error.code : rejected ? `REJECTED:${rejected.reason}` : null;
    let lastSyncAt = this.state.lastSyncAt;
    if (result.ok) {
      lastSyncAt = startedAt;
      this.store.setState(STATE_KEYS.lastSyncAt, String(startedAt));
    }
    const drift = api ? this.drift(api) : this.state.clockDriftSeconds;
    if (result.error) {
      const level = result.error.code === 'UNAUTHORIZED' ? 'error' : 'warn';
      this.log[level](
        { reason: result.error.code, status: result.error.status, failures },
        `sync failed: ${result.error.message}`,
      );
    }
    const enrolment = readEnrolment(this.store);
    this.setState({
      enrolled: enrolment !== null,
      deviceId: enrolment?.deviceId ?? null,
      online: reached,
      lastSyncAt,
      lastAttemptAt: startedAt,
      ...this.trustFigures(),
      clockDriftSeconds: drift,
      lastError,
      consecutiveFailures: failures,
    });
  }

  private drift(api: DeviceApi): number | null {
    const sample = api.lastClock;
    if (!sample) return this.state.clockDriftSeconds;
    const drift = Math.round((sample.serverMs - sample.localMs) / 100) / 10;
    const tolerance = this.opts.driftWarnSeconds + sample.resolutionMs / 1000;
    if (Math.abs(drift) > tolerance) {
      this.log.warn({ driftSeconds: drift }, 'local clock differs from the server clock (not changed; fix NTP)');
    }
    return drift;
  }

  private trustFigures(): Pick<
    SyncState,
    'bundleVersion' | 'revocationSeq' | 'sunset' | 'maxOfflineAgeSeconds' | 'trustDataAt'
  > {
    const held = this.store.getBundle();
    return {
      trustDataAt: signedDataAt(this.store),
      bundleVersion: held?.bundle.version ?? null,
      revocationSeq: held ? this.store.revocationSeq() : null,
      sunset: held?.bundle.sunset ?? null,
      maxOfflineAgeSeconds: held?.bundle.policy.maxOfflineAgeSeconds ?? null,
    };
  }

  private notifyTrustData(): void {
    const change = { bundle: this.store.getBundle()?.bundle ?? null, revocationSeq: this.store.revocationSeq() };
    for (const l of [...this.listeners]) {
      try {
        l.trustDataChanged?.(change);
      } catch (err) {
        this.log.error({ err: errorName(err) }, 'trust data listener failed');
      }
    }
  }

  private setState(patch: Partial<SyncState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of [...this.listeners]) {
      try {
        l.syncState?.(this.state);
      } catch (err) {
        this.log.error({ err: errorName(err) }, 'sync state listener failed');
      }
    }
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
