// The alarm forwarder: turns the runtime's alarm list into transitions (raised / cleared, kind, time), keeps each
// in the store's alarm outbox (durable, bounded) and sends it to the server at once (POST /api/device/alarms), not
// with the next sync cycle. While the server cannot be reached the outbox keeps them; they go out on the next
// attempt (a backoff timer) or as soon as the sync client reports the server reachable again.
// It never blocks a decision: observe() only diffs two small sets and writes one row per transition; the network
// runs beside it, and every failure is logged and counted, never thrown into the runtime.
import { randomBytes } from 'node:crypto';
import type { CancelTimer, Clock } from '../../common/clock.js';
import { MAX_ALARM_BATCH } from '../../protocol/api/device.js';
import type { AlarmOutboxEntry, DeviceStore } from '../store/types.js';
import { backoffCeiling } from '../sync/backoff.js';
import { isSyncError } from '../sync/errors.js';
import type { AlarmBatch, AlarmBatchAnswer } from '../../protocol/api/device.js';
import type { FetchLike, SyncLogger } from '../sync/types.js';
import { DeviceApi } from '../sync/http.js';
import { readEnrolment } from '../trust/enrolment.js';

/** Alarms of the runtime's list that are forwarded. `offline` is not: the server sees that from the heartbeats. */
export const FORWARDED_ALARMS: ReadonlySet<string> = new Set([
  'door-forced',
  'door-held-open',
  'fire-release',
  'lockdown',
  'tamper',
  'camera-fault',
  'stale-data',
  'clock-fault',
  'clock-untrusted',
  'sunset',
]);

/** State key of the alarms active at the last observation (so a restart neither repeats nor loses a transition). */
export const ACTIVE_ALARMS_KEY = 'alarms.active';

/** Sends one batch; resolves when the server has it (2xx), rejects otherwise. */
export type AlarmSender = (batch: AlarmBatch) => Promise<AlarmBatchAnswer>;

export interface AlarmForwarderDeps {
  readonly store: Pick<DeviceStore, 'addAlarmOutbox' | 'pendingAlarmOutbox' | 'removeAlarmOutbox' | 'getState' | 'setState' | 'bump'>;
  /** Null when the device is not enrolled (nothing to send to; transitions are still kept). */
  readonly send: AlarmSender | null;
  readonly clock: Clock;
  readonly log: SyncLogger;
  /** Retry delays after failed sends: base, doubled per failure, capped. Default 1 s … 60 s. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Uniform in [0, 1), for the retry jitter. */
  readonly random?: () => number;
}

export class AlarmForwarder {
  private active: Set<string>;
  private sending: Promise<void> | null = null;
  private again = false;
  private failures = 0;
  private retryTimer: CancelTimer | null = null;
  private closed = false;
  private readonly random: () => number;

  constructor(private readonly deps: AlarmForwarderDeps) {
    this.random = deps.random ?? Math.random;
    this.active = new Set(readActive(deps.store.getState(ACTIVE_ALARMS_KEY)));
  }

  /** Alarms the forwarder holds as active (after the last observation). */
  get activeAlarms(): string[] {
    return [...this.active];
  }

  /**
   * The runtime's alarm list as it stands (runtime.onAlarms): each change against the last list becomes one
   * transition in the outbox, then a send starts. Never throws.
   */
  observe(list: readonly string[]): void {
    if (this.closed) return;
    const now = new Set(list.filter((a) => FORWARDED_ALARMS.has(a)));
    const raised = [...now].filter((a) => !this.active.has(a));
    const cleared = [...this.active].filter((a) => !now.has(a));
    if (raised.length === 0 && cleared.length === 0) return;
    const at = this.deps.clock.now() / 1000;
    try {
      for (const kind of raised) this.record(kind, 'raised', at);
      for (const kind of cleared) this.record(kind, 'cleared', at);
      this.deps.store.setState(ACTIVE_ALARMS_KEY, JSON.stringify([...now].sort()));
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message }, 'alarm transition could not be stored');
    }
    this.active = now;
    this.flush();
  }

  /** Send what the outbox holds now (after a transition, a retry, or the server became reachable again). */
  flush(): Promise<void> {
    if (this.closed || this.deps.send === null) return Promise.resolve();
    if (this.sending) {
      this.again = true;
      return this.sending;
    }
    this.retryTimer?.();
    this.retryTimer = null;
    this.sending = this.drain()
      .catch((err: unknown) => this.deps.log.error({ err: (err as Error).message }, 'alarm outbox failed'))
      .finally(() => {
      this.sending = null;
      if (this.again && !this.closed) {
        this.again = false;
        void this.flush();
      }
    });
    return this.sending;
  }

  /** Resolves when no send is in progress (tests). */
  async idle(): Promise<void> {
    while (this.sending) await this.sending;
  }

  /** Stop retrying; what is in the outbox stays there for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.retryTimer?.();
    this.retryTimer = null;
    await this.sending?.catch(() => undefined);
  }

  private record(kind: string, state: 'raised' | 'cleared', at: number): void {
    const entry: AlarmOutboxEntry = { id: randomBytes(16).toString('hex'), kind, state, at };
    const dropped = this.deps.store.addAlarmOutbox(entry);
    this.deps.store.bump(`alarm-${state}:${kind}`);
    if (dropped > 0) this.deps.log.warn({ dropped }, 'alarm outbox full: the oldest transitions were dropped');
    this.deps.log.info({ kind, state }, 'alarm transition');
  }

  private async drain(): Promise<void> {
    const send = this.deps.send;
    if (send === null) return;
    for (;;) {
      const batch = this.deps.store.pendingAlarmOutbox(MAX_ALARM_BATCH);
      if (batch.length === 0) break;
      try {
        await send({ alarms: batch.map((e) => ({ id: e.id, kind: e.kind, state: e.state, at: e.at })) });
      } catch (err) {
        // A batch the server refuses as malformed (400 with its reason, 413) would block the outbox for ever:
        // dropped and counted. Anything else (a 400 without a reason, 429, 5xx, no network) is tried again.
        const status = isSyncError(err) ? err.status : null;
        const malformed = status === 400 && /VALIDATION_FAILED|BAD_JSON/.test((err as Error).message);
        if (malformed || status === 413) {
          this.deps.store.removeAlarmOutbox(batch.map((e) => e.id));
          this.deps.store.bump('alarms_refused', batch.length);
          this.deps.log.error(
            { status, alarms: batch.length, err: isSyncError(err) ? err.message : null },
            'the server refused alarm transitions; dropped',
          );
          continue;
        }
        this.failures += 1;
        const delay = Math.round(
          backoffCeiling(
            { pollIntervalMs: 0, jitter: 0, backoffBaseMs: this.deps.retryBaseMs ?? 1000, backoffMaxMs: this.deps.retryMaxMs ?? 60_000 },
            this.failures,
          ) *
            (1 - 0.2 * this.random()),
        );
        this.deps.log.warn(
          { err: isSyncError(err) ? err.code : (err as Error).message, pending: batch.length, retryMs: delay },
          'alarms not sent; kept for the next attempt',
        );
        if (!this.closed)
          this.retryTimer = this.deps.clock.setTimer(delay, () => {
            this.retryTimer = null;
            void this.flush();
          });
        return;
      }
      this.failures = 0;
      this.deps.store.removeAlarmOutbox(batch.map((e) => e.id));
      this.deps.log.debug({ alarms: batch.length }, 'alarm transitions sent');
    }
  }
}

function readActive(text: string | null): string[] {
  if (text === null) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && FORWARDED_ALARMS.has(x)) : [];
  } catch {
    return [];
  }
}

/**
 * The sender of an enrolled device: each send reads the enrolment (server URL, token) from the store, so a rolled
 * token or a re-enrolment is used at once; without an enrolment the send fails (NOT_ENROLLED) and the outbox keeps
 * the transitions.
 */
export function enrolledSender(
  store: Pick<DeviceStore, 'getState'>,
  opts: { readonly fetch?: FetchLike; readonly clock: Clock; readonly timeoutMs?: number },
): AlarmSender {
  const fetchFn: FetchLike = opts.fetch ?? ((url, init) => globalThis.fetch(url, init));
  return (batch) => {
    const enrolment = readEnrolment(store);
    const api = new DeviceApi({
      serverUrl: enrolment?.serverUrl ?? '',
      token: enrolment?.token ?? null,
      fetch: fetchFn,
      clock: opts.clock,
      timeoutMs: opts.timeoutMs ?? 10_000,
      maxBodyBytes: 1 << 16,
    });
    return api.postAlarms(batch);
  };
}
