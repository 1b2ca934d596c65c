// The push channel, device side: while enrolled and online, the device holds one long-lived authenticated stream
// from the server (GET /api/device/push, server-sent events; protocol/api/device.ts) beside the polling, so a
// command reaches it in well under a second. Generic: events are handed to the handler registered for their name;
// what a command means is the caller's (device/remote/push-commands.ts). It never blocks a decision: handlers run
// on the event loop like any frame, and a server that is away only means reconnect attempts, with jittered
// backoff. A stream that stays silent for 2.5 heartbeats is taken for dead and reopened. Nothing is replayed on
// reconnect: commands are valid for seconds, for a gate online now.
import { DEVICE_API_BASE, DEVICE_PATHS, pushHelloSchema, PUSH_EVENTS } from '../../protocol/api/device.js';
import { systemClock } from '../../common/clock.js';
import type { CancelTimer, Clock } from '../../common/clock.js';
import { readEnrolment } from '../trust/enrolment.js';
import type { TrustStore } from '../trust/types.js';
import { nextDelay } from './backoff.js';
import type { PollTiming } from './backoff.js';
import { silentLogger } from './types.js';
import type { FetchLike, SyncLogger } from './types.js';

/** Reconnect delays: 1 s after a stream ended, doubling per failed attempt up to 60 s, each ±30 %. */
export const PUSH_TIMING: PollTiming = { pollIntervalMs: 1000, jitter: 0.3, backoffBaseMs: 1000, backoffMaxMs: 60_000 };
/** Until the server's hello says otherwise. */
const DEFAULT_HEARTBEAT_MS = 15_000;
const IDLE_FACTOR = 2.5;

export interface PushEvent {
  readonly event: string;
  readonly id: string | null;
  readonly data: string;
}

export type PushHandler = (e: PushEvent) => void;

export interface PushClientDeps {
  /** Where the enrolment (server URL, token) is read before each connection: a rolled token is picked up. */
  readonly store: Pick<TrustStore, 'getState'>;
  /** The gate this device drives, sent with the connection so the server routes that gate's commands here. */
  readonly place: { readonly site: string; readonly gate: string };
  /** The gate's lockdown state, reported at connect. */
  readonly lockdown?: () => boolean;
  readonly fetch?: FetchLike;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly log?: SyncLogger;
  readonly timing?: PollTiming;
}

/** Parse complete SSE frames off the front of `buffer`; returns the frames and what is left. */
export function parseSse(buffer: string): { frames: PushEvent[]; rest: string } {
  const frames: PushEvent[] = [];
  const text = buffer.replace(/\r\n?/g, '\n');
  let start = 0;
  for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n', start)) {
    let event = 'message';
    let id: string | null = null;
    const data: string[] = [];
    for (const line of text.slice(start, end).split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) frames.push({ event, id, data: data.join('\n') });
    start = end + 2;
  }
  return { frames, rest: text.slice(start) };
}

export class PushClient {
  private readonly handlers = new Map<string, PushHandler>();
  private readonly clock: Clock;
  private readonly fetchFn: FetchLike;
  private readonly random: () => number;
  private readonly log: SyncLogger;
  private readonly timing: PollTiming;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private wake: (() => void) | null = null;
  private isConnected = false;
  /** Streams opened since start (a test or the status page can watch reconnects). */
  connections = 0;

  constructor(private readonly deps: PushClientDeps) {
    this.clock = deps.clock ?? systemClock;
    this.fetchFn = deps.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.random = deps.random ?? Math.random;
    this.log = deps.log ?? silentLogger;
    this.timing = deps.timing ?? PUSH_TIMING;
  }

  /** Handle the events named `event`; one handler per name. */
  on(event: string, handler: PushHandler): void {
    this.handlers.set(event, handler);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Close the stream and stop reconnecting; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort?.abort();
    this.wake?.();
    await this.loopDone;
  }

  /** POST a JSON body to a device API path with the device token (e.g. an ack); false when it did not land. */
  async post(path: keyof typeof DEVICE_PATHS, body: unknown): Promise<boolean> {
    const enrolment = readEnrolment(this.deps.store);
    if (!enrolment) return false;
    try {
      const res = await this.fetchFn(enrolment.serverUrl + DEVICE_API_BASE + DEVICE_PATHS[path], {
        method: 'POST',
        headers: { authorization: `Bearer ${enrolment.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const opened = await this.connectOnce();
      failures = opened ? 1 : failures + 1;
      if (!this.running) break;
      await this.sleep(nextDelay(this.timing, failures, this.random));
    }
  }

  /** One connection, held until it ends; true when a stream was opened. Never throws. */
  private async connectOnce(): Promise<boolean> {
    const enrolment = readEnrolment(this.deps.store);
    if (!enrolment) return false;
    const q = new URLSearchParams({ site: this.deps.place.site, gate: this.deps.place.gate });
    if (this.deps.lockdown) q.set('lockdown', this.deps.lockdown() ? '1' : '0');
    const abort = new AbortController();
    this.abort = abort;
    let idle: CancelTimer = () => {};
    let heartbeatMs = DEFAULT_HEARTBEAT_MS;
    const arm = (): void => {
      idle();
      idle = this.clock.setTimer(heartbeatMs * IDLE_FACTOR, () => abort.abort());
    };
    let opened = false;
    try {
      arm();
      const res = await this.fetchFn(`${enrolment.serverUrl}${DEVICE_API_BASE}${DEVICE_PATHS.push}?${q.toString()}`, {
        method: 'GET',
        headers: { authorization: `Bearer ${enrolment.token}`, accept: 'text/event-stream' },
        signal: abort.signal,
      });
      if (res.status !== 200 || res.body === null) {
        await res.arrayBuffer().catch(() => undefined);
        this.log.warn({ status: res.status }, 'push channel refused');
        return false;
      }
      opened = true;
      this.connections++;
      this.isConnected = true;
      this.log.info({}, 'push channel open');
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        arm();
        buffer += decoder.decode(chunk, { stream: true });
        if (buffer.length > 64 * 1024) throw new Error('push frame too large');
        const { frames, rest } = parseSse(buffer);
        buffer = rest;
        for (const f of frames) {
          if (f.event === PUSH_EVENTS.hello) {
            const hello = pushHelloSchema.safeParse(safeJson(f.data));
            if (hello.success) heartbeatMs = hello.data.heartbeatSeconds * 1000;
            arm();
          }
          this.dispatch(f);
        }
      }
    } catch (err) {
      if (this.running) this.log.warn({ err: errorName(err) }, 'push channel lost');
    } finally {
      idle();
      this.abort = null;
      if (this.isConnected) this.log.info({}, 'push channel closed');
      this.isConnected = false;
    }
    return opened;
  }

  private dispatch(f: PushEvent): void {
    const handler = this.handlers.get(f.event);
    if (!handler) return;
    try {
      handler(f);
    } catch (err) {
      this.log.error({ err: errorName(err), event: f.event }, 'push handler failed');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.setTimer(ms, () => {
        this.wake = null;
        resolve();
      });
      this.wake = () => {
        cancel();
        this.wake = null;
        resolve();
      };
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorName(err: unknown): string {
  if (err instanceof Error) return (err as { code?: string }).code ?? err.name;
  return 'error';
}
