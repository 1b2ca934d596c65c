// The device side of the server's HTTP API. Each call maps the answer to data or to one SyncError; it never
// logs or echoes tokens, codes or response bytes. Every answer's Date header is kept for the drift estimate.
// Requests and answers are the shapes of the contract in protocol/api/device.ts.
import {
  DEVICE_API_BASE,
  DEVICE_HEADERS,
  DEVICE_PATHS,
  enrolAnswerReader,
  heartbeatAnswerReader,
  rootAnswerSchema,
  alarmBatchAnswerSchema,
  type AlarmBatch,
  type AlarmBatchAnswer,
  tokenAnswerSchema,
  type TokenAnswer,
  type EnrolRequest,
  type EventBatch,
  type HeartbeatRequest,
} from '../../protocol/api/device.js';
import { errorBodySchema } from '../../protocol/api/errors.js';
import { MAX_BUNDLE_BYTES, MAX_FRESHNESS_BYTES, MAX_PAGE_BYTES, MAX_PARTITION_BYTES } from '../../protocol/index.js';
import { SyncError } from './errors.js';
import type { Clock } from '../../common/clock.js';
import type { FetchLike } from './types.js';

export interface DeviceApiOptions {
  readonly serverUrl: string;
  /** Device token; null only for enrolment. */
  readonly token: string | null;
  readonly fetch: FetchLike;
  /** Local wall clock (epoch ms) and timers. */
  readonly clock: Clock;
  /** Per-request time limit, ms. */
  readonly timeoutMs: number;
  /** Largest body accepted for a bundle or a revocation file, bytes. */
  readonly maxBodyBytes: number;
}

export type Fetched =
  | { readonly kind: 'not-modified' }
  | {
      readonly kind: 'ok';
      readonly bytes: Uint8Array;
      readonly etag: string | null;
      /** Gatecode-Revocation-Kind (revocations): `partitioned` when the bytes are a partition manifest. */
      readonly revocationKind?: string | null;
    };

/** What the device keeps of the enrol answer. */
export interface EnrolAnswer {
  readonly deviceId: string;
  readonly token: string;
  readonly rootPublicKey: string;
}

const path = (p: keyof typeof DEVICE_PATHS): string => DEVICE_API_BASE + DEVICE_PATHS[p];

/** One observation of the server's clock: its time and the local time at the middle of the exchange, epoch ms. */
export interface ClockSample {
  readonly serverMs: number;
  readonly localMs: number;
  /** Resolution of the server's figure, ms (1000 for a Date header). */
  readonly resolutionMs: number;
}

const MAX_JSON_BYTES = 1 << 20;

/** Failures of a reused connection that the server had already closed. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export class DeviceApi {
  /** The newest clock sample taken from any answer. */
  lastClock: ClockSample | null = null;
  /** An answer said the server wants this token rolled (Gatecode-Token-Roll: pending). */
  tokenRollPending = false;

  constructor(private readonly opts: DeviceApiOptions) {}

  /** The deployment's root public key (encoded), unauthenticated: checked before an enrolment code is spent. */
  async getRoot(): Promise<string> {
    return this.exchange('GET', path('root'), { auth: false }, async (res) => {
      if (res.status !== 200) {
        throw new SyncError(
          'HTTP_STATUS',
          `root key: server answered ${res.status}${await serverReason(res)}`,
          res.status,
        );
      }
      const answer = rootAnswerSchema.safeParse(await this.json(res));
      if (!answer.success) throw new SyncError('BAD_RESPONSE', 'root key answer lacks rootPublicKey');
      return answer.data.rootPublicKey;
    });
  }

  /** Redeem a code; with a token (a re-enrolment), the server replaces that device's record. */
  async enrol(code: string, name: string | undefined): Promise<EnrolAnswer> {
    const json: EnrolRequest = name === undefined ? { code } : { code, name };
    return this.exchange('POST', path('enrol'), { json, auth: this.opts.token !== null }, async (res) => {
      if (res.status !== 200 && res.status !== 201) {
        const reason = await serverReason(res);
        if (res.status === 429 || res.status >= 500)
          throw new SyncError('HTTP_STATUS', `enrolment: server answered ${res.status}${reason}`, res.status);
        throw new SyncError('ENROL_REFUSED', `enrolment refused by the server (${res.status}${reason})`, res.status);
      }
      const answer = enrolAnswerReader.safeParse(await this.json(res));
      if (!answer.success)
        throw new SyncError('BAD_RESPONSE', 'enrolment answer lacks deviceId, token or rootPublicKey');
      const { deviceId, token, rootPublicKey } = answer.data;
      return { deviceId, token, rootPublicKey };
    });
  }

  getBundle(etag: string | null): Promise<Fetched> {
    return this.getSigned(path('bundle'), etag, Math.min(this.opts.maxBodyBytes, MAX_BUNDLE_BYTES));
  }

  /** Revocations since `since` of history `logId`; without a log id (none held) the server sends a snapshot. */
  getRevocations(since: number, logId: string | null, etag: string | null): Promise<Fetched> {
    const log = logId === null ? '' : `&log=${logId}`;
    // partitions=1: for a whole large list the server may answer with a partition manifest; pages=1: for a change
    // too large for one delta, with page 0 of a set of delta pages (docs/sync.md).
    return this.getSigned(
      `${path('revocations')}?since=${since}${log}&partitions=1&pages=1`,
      etag,
      this.opts.maxBodyBytes,
    );
  }

  /**
   * Page `page` of the delta page set `since` → `to` of history `log`. A failed GET on the network is asked once
   * more on a new connection (as a partition is); 410 REVOCATION_PAGES_GONE (the set can no longer be made) is
   * thrown as HTTP_STATUS: the sync starts again at the next poll.
   */
  async getRevocationPage(page: number, set: { logId: string; fromSeq: number; toSeq: number }): Promise<Uint8Array> {
    const p = `${path('revocationPage').replace(':page', String(page))}?log=${set.logId}&since=${set.fromSeq}&to=${set.toSeq}`;
    const max = Math.min(this.opts.maxBodyBytes, MAX_PAGE_BYTES);
    const f = await this.getSigned(p, null, max).catch((err: unknown) => {
      if (err instanceof SyncError && err.code === 'NETWORK') return this.getSigned(p, null, max);
      throw err;
    });
    if (f.kind !== 'ok') throw new SyncError('BAD_RESPONSE', `${p.split('?')[0] ?? p}: answered not-modified`);
    return f.bytes;
  }

  /**
   * One signed revocation partition (gzip on the wire, decoded by fetch). A GET that failed on the network is asked
   * once more on a new connection: a first sync fetches hundreds of partitions over kept-alive connections, and one
   * the server closed as idle just as it was reused fails without the server having seen the request; without the
   * retry the whole sync (and its staged partitions) would be undone for it.
   */
  async getPartition(index: number): Promise<Uint8Array> {
    const p = `${path('revocationPartition').replace(':index', String(index))}`;
    const max = Math.min(this.opts.maxBodyBytes, MAX_PARTITION_BYTES);
    const f = await this.getSigned(p, null, max).catch((err: unknown) => {
      if (err instanceof SyncError && err.code === 'NETWORK') return this.getSigned(p, null, max);
      throw err;
    });
    if (f.kind !== 'ok') throw new SyncError('BAD_RESPONSE', `${p}: answered not-modified`);
    return f.bytes;
  }

  /** The server's signed freshness statement; never conditional, so a 304 or 204 is a bad answer. */
  async getFreshness(): Promise<Uint8Array> {
    const f = await this.getSigned(path('freshness'), null, MAX_FRESHNESS_BYTES);
    if (f.kind !== 'ok') throw new SyncError('BAD_RESPONSE', `${path('freshness')}: answered not-modified`);
    return f.bytes;
  }

  async postEvents(body: EventBatch, idempotencyKey: string): Promise<void> {
    await this.exchange(
      'POST',
      path('events'),
      { json: body, headers: { [DEVICE_HEADERS.idempotencyKey.toLowerCase()]: idempotencyKey } },
      async (res) => {
        await this.expectOk(res, 'events');
        await res.body?.cancel();
      },
    );
  }

  /** Alarm transitions (device/alarms/forwarder.ts); idempotent by each event's id, so a resend is harmless. */
  async postAlarms(body: AlarmBatch): Promise<AlarmBatchAnswer> {
    return this.exchange('POST', path('alarms'), { json: body }, async (res) => {
      await this.expectOk(res, 'alarms');
      const answer = alarmBatchAnswerSchema.safeParse(await this.json(res));
      if (!answer.success) throw new SyncError('BAD_RESPONSE', 'alarm answer lacks accepted or duplicates');
      return answer.data;
    });
  }

  /** Sends a heartbeat; returns the server's time in epoch ms when it gave one. */
  async heartbeat(body: HeartbeatRequest): Promise<number | null> {
    const started = this.opts.clock.now();
    const answer = await this.exchange('POST', path('heartbeat'), { json: body }, async (res) => {
      await this.expectOk(res, 'heartbeat');
      // An answer without a usable server time is not an error: the drift then comes from the Date header.
      return heartbeatAnswerReader.safeParse(await this.json(res)).data ?? {};
    });
    const ended = this.opts.clock.now();
    const serverMs = toEpochMs(answer.serverTime);
    if (serverMs === null) return null;
    this.lastClock = { serverMs, localMs: (started + ended) / 2, resolutionMs: 1 };
    return serverMs;
  }

  /** POST /token: the new token while a roll waits for this one, else `current` (which completes a roll). */
  async exchangeToken(): Promise<TokenAnswer> {
    return this.exchange('POST', path('token'), {}, async (res) => {
      await this.expectOk(res, 'token');
      const answer = tokenAnswerSchema.safeParse(await this.json(res));
      if (!answer.success) throw new SyncError('BAD_RESPONSE', 'token answer is neither issued nor current');
      return answer.data;
    });
  }

  private async getSigned(path: string, etag: string | null, limit: number): Promise<Fetched> {
    const headers: Record<string, string> = {};
    if (etag) headers['if-none-match'] = etag;
    return this.exchange('GET', path, { headers }, async (res): Promise<Fetched> => {
      // 304: our copy is current. 204: the server has nothing newer than `since` to send.
      if (res.status === 304 || res.status === 204) {
        await res.body?.cancel();
        return { kind: 'not-modified' };
      }
      await this.expectOk(res, path.split('?')[0] ?? path);
      const bytes = await this.readBody(res, limit);
      return {
        kind: 'ok',
        bytes,
        etag: res.headers.get('etag'),
        revocationKind: res.headers.get(DEVICE_HEADERS.revocationKind.toLowerCase()),
      };
    });
  }

  private async expectOk(res: Response, what: string): Promise<void> {
    if (res.status >= 200 && res.status <= 299) return;
    // The server's reason code (e.g. DEVICE_REVOKED, SEQUENCE_AHEAD) goes into the message; nothing else of the body.
    const reason = await serverReason(res);
    if (res.status === 401 || res.status === 403) {
      throw new SyncError('UNAUTHORIZED', `the server refused the device token (${res.status}${reason})`, res.status);
    }
    const retryAfter = retryAfterSeconds(res.headers.get('retry-after'), this.opts.clock.now());
    throw new SyncError('HTTP_STATUS', `${what}: server answered ${res.status}${reason}`, res.status, retryAfter);
  }

  /**
   * One exchange: the request, then `handle` reading the answer, all under one time limit, so a server that
   * sends headers and then stalls mid-body is cut off too.
   */
  private async exchange<T>(
    method: 'GET' | 'POST',
    path: string,
    o: { json?: object; headers?: Record<string, string>; auth?: boolean },
    handle: (res: Response) => Promise<T>,
  ): Promise<T> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.auth !== false) {
      if (!this.opts.token) throw new SyncError('NOT_ENROLLED', 'no device token: enrol the device first');
      headers['authorization'] = `Bearer ${this.opts.token}`;
    }
    let body: string | undefined;
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.json);
    }
    const controller = new AbortController();
    const cancelTimeout = this.opts.clock.setTimer(this.opts.timeoutMs, () => controller.abort());
    const started = this.opts.clock.now();
    try {
      const send = (): Promise<Response> =>
        this.opts.fetch(this.opts.serverUrl + path, {
          method,
          headers,
          body,
          signal: controller.signal,
          redirect: 'error',
        });
      let res: Response;
      try {
        try {
          res = await send();
        } catch (err) {
          // A kept-alive connection the server closed while we were busy fails at once: try once more on a fresh
          // one. Safe for every call here: GETs, and POSTs that are idempotent (events carry their key).
          if (controller.signal.aborted || !STALE_SOCKET.has(networkReason(err))) throw err;
          res = await send();
        }
      } catch (err) {
        throw new SyncError('NETWORK', `${method} ${path.split('?')[0] ?? path}: ${networkReason(err)}`);
      }
      this.noteDate(res, started);
      if (res.headers.get(DEVICE_HEADERS.tokenRoll) === 'pending') this.tokenRollPending = true;
      return await handle(res);
    } finally {
      cancelTimeout();
    }
  }

  private noteDate(res: Response, started: number): void {
    const date = res.headers.get('date');
    if (!date) return;
    const serverMs = Date.parse(date);
    if (Number.isNaN(serverMs)) return;
    // A Date header has whole seconds and is truncated: its true value lies in [serverMs, serverMs + 1000).
    const sample = { serverMs: serverMs + 500, localMs: (started + this.opts.clock.now()) / 2, resolutionMs: 1000 };
    if (!this.lastClock || this.lastClock.resolutionMs >= sample.resolutionMs) this.lastClock = sample;
  }

  private async readBody(res: Response, limit: number): Promise<Uint8Array> {
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > limit) {
      await res.body?.cancel();
      throw new SyncError('BAD_RESPONSE', `response of ${declared} bytes is over the limit of ${limit}`);
    }
    if (!res.body) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > limit) {
          await reader.cancel();
          throw new SyncError('BAD_RESPONSE', `response is over the limit of ${limit} bytes`);
        }
        chunks.push(value);
      }
    } catch (err) {
      if (err instanceof SyncError) throw err;
      throw new SyncError('NETWORK', `reading the response: ${networkReason(err)}`);
    }
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.byteLength;
    }
    return out;
  }

  private async json(res: Response): Promise<unknown> {
    const bytes = await this.readBody(res, MAX_JSON_BYTES);
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    } catch {
      throw new SyncError('BAD_RESPONSE', 'the answer is not JSON');
    }
  }
}

/** An error answer is read only this far: enough for `{"error":"REASON"}`, not a stream a hostile server feeds. */
const MAX_ERROR_BODY_BYTES = 4096;

async function serverReason(res: Response): Promise<string> {
  try {
    const reader = res.body?.getReader();
    if (!reader) return '';
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_ERROR_BODY_BYTES) {
        await reader.cancel();
        return '';
      }
      chunks.push(value);
    }
    // Only a reason code is shown: the server's codes are upper-case words; anything else is dropped.
    const body = errorBodySchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    return body.success ? `: ${body.data.error}` : '';
  } catch {
    return '';
  }
}

function networkReason(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'AbortError') return 'timed out';
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === 'string') return cause.code;
    return err.name === 'TypeError' ? 'connection failed' : err.name;
  }
  return 'connection failed';
}

/** Retry-After as seconds from now: a number of seconds or an HTTP date; null when absent, past or unreadable. */
export function retryAfterSeconds(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - nowMs) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : null;
}

/** serverTime may be epoch seconds, epoch ms or an ISO string; returns epoch ms or null. */
export function toEpochMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    return value < 1e11 ? value * 1000 : value;
  }
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}
