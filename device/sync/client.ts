// The device's sync client: a poll loop that fetches the trust bundle and revocations (conditional GETs) and a
// signed freshness statement and hands each to the TrustKeeper (device/trust/keeper.ts), the one writer of trust
// data, which verifies it against the pinned root before the store sees it; uploads queued events idempotently,
// sends a heartbeat, and reports online/offline and clock drift to the keeper. It never stops the device deciding:
// the store keeps the last good data whatever the network does.
import { systemClock } from '../../common/clock.js';
import type { Clock } from '../../common/clock.js';
import { isStoreError } from '../store/errors.js';
import type { ApplyResult } from '../trust/apply.js';
import { readEnrolment } from '../trust/enrolment.js';
import type { Enrolment } from '../trust/enrolment.js';
import { TrustKeeper } from '../trust/keeper.js';
import type { SyncActivity, SyncState } from '../trust/types.js';
import { nextDelay } from './backoff.js';
import type { PollTiming } from './backoff.js';
import { SyncError, isSyncError } from './errors.js';
import { DeviceApi } from './http.js';
import { syncOptions } from './options.js';
import type { SyncOptions, SyncOptionsInput } from './options.js';
import { completeTokenRoll } from './token-roll.js';
import { idempotencyKey, toWireEvent } from './upload.js';
import { silentLogger } from './types.js';
import type { FetchLike, SyncLogger, SyncStore } from './types.js';

/** Told after every change of the sync state (e.g. the status page); trust data changes come from the TrustKeeper. */
export interface SyncListener {
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
  /** The one writer of trust data; by default a TrustKeeper over `store` (the runtime passes its own). */
  readonly trust?: TrustKeeper;
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
  /** Where downloaded trust data goes, and where the sync state is kept. */
  readonly trust: TrustKeeper;
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
    this.trust = deps.trust ?? new TrustKeeper(this.store, this.clock, this.log, null);
    const enrolment = readEnrolment(this.store);
    this.trust.reportSync({ enrolled: enrolment !== null, deviceId: enrolment?.deviceId ?? null });
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
    return this.trust.syncState();
  }

  private get state(): SyncState {
    return this.trust.syncState();
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
    const api = this.api(enrolment.serverUrl, enrolment.token);
    let bundle: CycleResult['bundle'] = null;
    const revocations: (ApplyResult | 'not-modified')[] = [];
    let freshness: ApplyResult | null = null;
    let eventsUploaded = 0;
    try {
      const b = await api.getBundle(this.etags.bundle);
      if (b.kind === 'not-modified') bundle = 'not-modified';
      else {
        bundle = this.trust.accept('bundle', b.bytes);
        this.etags.bundle = bundle.kind === 'rejected' ? null : b.etag;
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
        const result =
          r.revocationKind === 'partitioned'
            ? await this.trust.acceptPartitioned(r.bytes, (index) => api.getPartition(index))
            : r.revocationKind === 'delta-page'
              ? await this.trust.acceptDeltaPages(r.bytes, (page, set) => api.getRevocationPage(page, set))
              : await this.trust.acceptRevocations(r.bytes);
        revocations.push(result);
        // An ETag belongs to the URL it came with (`since` as asked).
        this.etags.revocations = result.kind !== 'rejected' && r.etag ? { since, logId, etag: r.etag } : null;
      }
      // The data's age counts only from a signed statement that the server's current data is what we now hold.
      if (this.trust.state().bundle !== null) freshness = this.trust.accept('freshness', await api.getFreshness());
      eventsUploaded = await this.uploadEvents(api, enrolment);
      await this.heartbeat(api);
      // An administrator rolled this device's token: the device completes the roll itself.
      if (api.tokenRollPending)
        await completeTokenRoll({
          api,
          withToken: (token) => this.api(enrolment.serverUrl, token),
          store: this.store,
          log: this.log,
        });
    } catch (err) {
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

  private api(serverUrl: string, token: string): DeviceApi {
    return new DeviceApi({
      serverUrl,
      token,
      fetch: this.fetchFn,
      clock: this.clock,
      timeoutMs: this.opts.requestTimeoutSeconds * 1000,
      maxBodyBytes: this.opts.maxDownloadBytes,
    });
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
    const figures = this.trust.figures();
    const versions: Record<string, string | number> = { bundle: figures.bundleVersion ?? 0 };
    if (this.deps.softwareVersion) versions['software'] = this.deps.softwareVersion;
    await api.heartbeat({
      versions,
      seq: this.store.revocationSeq(),
      // The device's clock at sending, epoch seconds: the server works out the drift from it.
      clock: Math.round(this.clock.now()) / 1000,
      counters: this.store.counters(),
      trustDataAt: figures.trustDataAt,
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
    const lastSyncAt = result.ok ? startedAt : this.state.lastSyncAt;
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

  private setState(patch: Partial<SyncActivity>): void {
    this.trust.reportSync(patch);
    const state = this.trust.syncState();
    for (const l of [...this.listeners]) {
      try {
        l.syncState?.(state);
      } catch (err) {
        this.log.error({ err: errorName(err) }, 'sync state listener failed');
      }
    }
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
