// An in-process stand-in for the server's device API, given to the sync client as its `fetch`. It answers from a
// Deployment, checks the bearer token, honours If-None-Match, records every request, and lets a test script
// faults (network errors, statuses, replaced bodies, stalls) for the next requests.
import { createHash } from 'node:crypto';
import { encodePublicKey } from '../../../../protocol/index.js';
import type { FetchLike } from '../../../../device/sync/types.js';
import type { Deployment } from '../../../support/deployment.js';

export const SERVER = 'http://gatecode.test:8470';
export const TOKEN = 'dev.0011223344556677.' + 'A'.repeat(43);

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | null;
}

type Fault =
  | { kind: 'network' }
  | { kind: 'status'; status: number; retryAfter?: number }
  | { kind: 'body'; bytes: Uint8Array }
  | { kind: 'stall' }
  | { kind: 'lose-response' };

export class FakeApi {
  readonly requests: Recorded[] = [];
  readonly eventBatches = new Map<string, { bodyHash: string; count: number }>();
  readonly storedEvents: unknown[] = [];
  readonly heartbeats: Record<string, unknown>[] = [];
  /** Faults applied to the next matching requests, in order. */
  private faults: { match: RegExp; fault: Fault }[] = [];
  token = TOKEN;
  revoked = false;
  enrolCodes = new Set<string>(['ABCD-EFGH-JKMN']);
  /** Server clock minus the test clock, seconds. */
  serverOffsetSeconds = 0;
  rootPublicKeyOverride: string | null = null;

  constructor(
    readonly deployment: Deployment,
    readonly nowMs: () => number,
  ) {}

  fault(match: RegExp, fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ match, fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  count(path: RegExp): number {
    return this.requests.filter((r) => path.test(r.path)).length;
  }

  readonly fetch: FetchLike = async (url, init) => {
    const u = new URL(url);
    if (u.origin !== SERVER) throw new TypeError('fetch failed');
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const body = typeof init.body === 'string' ? init.body : null;
    const path = u.pathname + u.search;
    this.requests.push({ method: init.method ?? 'GET', path, headers, body });
    const i = this.faults.findIndex((f) => f.match.test(path));
    const fault = i >= 0 ? this.faults.splice(i, 1)[0]!.fault : null;
    if (fault?.kind === 'network') throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    if (fault?.kind === 'stall') {
      return new Promise<Response>((_resolve, reject) => {
        init.signal?.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
        );
      });
    }
    if (fault?.kind === 'status') {
      const res = this.answer(fault.status, JSON.stringify({ error: 'INJECTED' }), 'application/json');
      if (fault.retryAfter !== undefined) res.headers.set('retry-after', String(fault.retryAfter));
      return res;
    }
    const res = this.route(init.method ?? 'GET', u, headers, body);
    if (fault?.kind === 'lose-response') throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    if (fault?.kind === 'body') return this.answer(200, fault.bytes, 'application/cose');
    return res;
  };

  private route(method: string, u: URL, headers: Record<string, string>, body: string | null): Response {
    if (method === 'GET' && u.pathname === '/api/device/root') {
      // Like the server: the root it signs with (an override stands for a server of another deployment).
      const rootPublicKey = this.rootPublicKeyOverride ?? encodePublicKey(this.deployment.root.publicKey);
      return this.answer(200, JSON.stringify({ rootPublicKey, rootFingerprint: '-' }), 'application/json');
    }
    if (method === 'POST' && u.pathname === '/api/device/enrol') {
      const code = (JSON.parse(body ?? '{}') as { code?: string }).code ?? '';
      if (!this.enrolCodes.has(code))
        return this.answer(409, JSON.stringify({ error: 'ENROLMENT_USED' }), 'application/json');
      this.enrolCodes.delete(code);
      const rootPublicKey = this.rootPublicKeyOverride ?? encodePublicKey(this.deployment.root.publicKey);
      return this.answer(
        201,
        JSON.stringify({ deviceId: '0011223344556677', token: this.token, rootPublicKey }),
        'application/json',
      );
    }
    if (headers['authorization'] !== `Bearer ${this.token}`)
      return this.answer(401, '{"error":"TOKEN_INVALID"}', 'application/json');
    if (this.revoked) return this.answer(401, '{"error":"DEVICE_REVOKED"}', 'application/json');
    if (method === 'GET' && u.pathname === '/api/device/bundle') {
      return this.signed(this.deployment.currentBytes, headers);
    }
    if (method === 'GET' && u.pathname === '/api/device/revocations') {
      // Like the server: sequence numbers count within one history; another (or none) gets the whole list.
      const d = this.deployment;
      const sameHistory = u.searchParams.get('log') === d.logId;
      const bytes = sameHistory || d.seq === 0 ? d.revocationsSince(Number(u.searchParams.get('since'))) : d.snapshot();
      return bytes === null ? this.answer(204, null, 'application/cose') : this.signed(bytes, headers);
    }
    if (method === 'GET' && u.pathname === '/api/device/freshness') {
      return this.answer(200, this.deployment.freshness(), 'application/cose');
    }
    if (method === 'POST' && u.pathname === '/api/device/events') {
      const key = headers['idempotency-key'] ?? '';
      const bodyHash = createHash('sha256')
        .update(body ?? '')
        .digest('hex');
      const prior = this.eventBatches.get(key);
      if (prior) {
        if (prior.bodyHash !== bodyHash)
          return this.answer(409, '{"error":"IDEMPOTENCY_CONFLICT"}', 'application/json');
        return this.answer(200, JSON.stringify({ accepted: prior.count, duplicate: true }), 'application/json');
      }
      const events = (JSON.parse(body ?? '{}') as { events: unknown[] }).events;
      this.eventBatches.set(key, { bodyHash, count: events.length });
      this.storedEvents.push(...events);
      return this.answer(200, JSON.stringify({ accepted: events.length, duplicate: false }), 'application/json');
    }
    if (method === 'POST' && u.pathname === '/api/device/heartbeat') {
      this.heartbeats.push(JSON.parse(body ?? '{}') as Record<string, unknown>);
      return this.answer(
        200,
        JSON.stringify({ serverTime: this.nowMs() / 1000 + this.serverOffsetSeconds }),
        'application/json',
      );
    }
    return this.answer(404, '{"error":"NOT_FOUND"}', 'application/json');
  }

  private signed(bytes: Uint8Array, headers: Record<string, string>): Response {
    const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`;
    if (headers['if-none-match'] === etag) return this.answer(304, null, null, etag);
    return this.answer(200, bytes, 'application/cose', etag);
  }

  private answer(status: number, body: string | Uint8Array | null, type: string | null, etag?: string): Response {
    const h = new Headers({ date: new Date(this.nowMs() + this.serverOffsetSeconds * 1000).toUTCString() });
    if (type) h.set('content-type', type);
    if (etag) h.set('etag', etag);
    return new Response(status === 204 || status === 304 ? null : body, { status, headers: h });
  }
}
