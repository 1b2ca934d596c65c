// The device status page server (node:http, no framework): the page and its assets, a server-sent event stream
// of the hub's status, the latest camera frame as PNG with the decode region, and a relay test pulse protected by
// a local token. It reads the hub and never writes to it, except for asking the runtime for a pulse.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { every, monotonicClock } from '../../common/clock.js';
import { DEVICE_REASONS, describeReason } from '../reasons.js';
import { createFrameEncoder } from './frame-png.js';
import type { StatusHub } from './hub.js';
import { PulseUnavailableError } from './hub.js';

export interface StatusServerOptions {
  /** Interface to listen on (default 127.0.0.1; use 0.0.0.0 to reach the page from the installer's laptop). */
  host?: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Local token for the relay test pulse. Null or empty disables the pulse endpoint (403 PULSE_DISABLED). */
  token: string | null;
  hub: StatusHub;
  log?: Logger;
  /** Minimum time between two encodes of /frame.png (default 500 ms). */
  frameIntervalMs?: number;
  /** Minimum time between two accepted test pulses (default 2000 ms). */
  pulseIntervalMs?: number;
  /** How often the event stream sends the status even when nothing changed, so ages tick (default 5000 ms). */
  refreshMs?: number;
  /** At most this many concurrent event streams (default 16); more get 429. */
  maxStreams?: number;
  /**
   * Drives the periodic status refresh and the pulse rate limit (default monotonicClock), so tests need not wait.
   * The sub-second coalescing of change events stays on real timers: it only batches writes to the sockets.
   */
  clock?: Clock;
}

export interface StatusServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const PAGE_DIR = new URL('./page/', import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/status.js': { file: 'status.js', type: 'text/javascript; charset=utf-8' },
  '/status.css': { file: 'status.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const STATUS_COALESCE_MS = 100;
/** The device's wording for each reason code, so the page says what the gate's owner would say. */
const REASON_TEXT: Record<string, string> = Object.fromEntries(DEVICE_REASONS.map((r) => [r, describeReason(r)]));
const FRAME_EVENT_MS = 500;
/** Bytes queued for one event stream before it is dropped (the browser reconnects by itself). */
const MAX_STREAM_BACKLOG = 1 << 20;

export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const { hub, log } = opts;
  const host = opts.host ?? '127.0.0.1';
  const tokenDigest = opts.token ? sha256(opts.token) : null;
  const pulseIntervalMs = opts.pulseIntervalMs ?? 2000;
  const maxStreams = opts.maxStreams ?? 16;
  const refreshMs = opts.refreshMs ?? 5000;
  const clock = opts.clock ?? monotonicClock;
  const assets = new Map(
    Object.entries(ASSETS).map(([p, a]) => [p, { body: readFileSync(new URL(a.file, PAGE_DIR)), type: a.type }]),
  );
  const frames = createFrameEncoder(() => hub.latestFrame(), { minIntervalMs: opts.frameIntervalMs ?? 500 });
  const streams = new Set<ServerResponse>();
  let lastPulseAt = -Infinity;

  const snapshot = () => ({ ...hub.snapshot(), pulseAvailable: tokenDigest !== null && hub.pulseAvailable });

  // Fan-out: status changes are coalesced per stream set, frame notices are throttled.
  let statusTimer: NodeJS.Timeout | null = null;
  let lastFrameEvent = 0;
  let frameTimer: NodeJS.Timeout | null = null;
  const broadcast = (event: string, data: unknown) => {
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of streams) {
      // A page that stopped reading (asleep laptop, dead Wi-Fi) must not make the device buffer without end.
      if (res.writableLength > MAX_STREAM_BACKLOG) {
        streams.delete(res);
        res.destroy();
      } else res.write(chunk);
    }
  };
  const sendFrameNotice = () => {
    frameTimer = null;
    lastFrameEvent = performance.now();
    const latest = hub.latestFrame();
    if (latest) broadcast('frame', { seq: latest.frame.seq });
  };
  const unsubscribe = hub.subscribe((change) => {
    if (streams.size === 0) return;
    if (change === 'status') {
      statusTimer ??= setTimeout(() => {
        statusTimer = null;
        broadcast('status', snapshot());
      }, STATUS_COALESCE_MS);
    } else if (!frameTimer) {
      const wait = Math.max(0, FRAME_EVENT_MS - (performance.now() - lastFrameEvent));
      frameTimer = setTimeout(sendFrameNotice, wait);
    }
  });
  const stopRefresh = every(clock, refreshMs, () => {
    if (streams.size > 0) broadcast('status', snapshot());
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log?.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'status request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'INTERNAL' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://status.local').pathname;
    const method = req.method ?? 'GET';
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);

    if (path === '/api/pulse') {
      if (method !== 'POST') return sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED' }, { allow: 'POST' });
      if (Number(req.headers['content-length'] ?? 0) > 1024) {
        res.setHeader('connection', 'close');
        return sendJson(res, 413, { error: 'BODY_TOO_LARGE' });
      }
      req.resume();
      if (!tokenDigest) return sendJson(res, 403, { error: 'PULSE_DISABLED' });
      if (!bearerMatches(req.headers.authorization, tokenDigest)) return sendJson(res, 401, { error: 'UNAUTHORIZED' });
      const now = clock.now();
      if (now - lastPulseAt < pulseIntervalMs) return sendJson(res, 429, { error: 'RATE_LIMITED' });
      const previous = lastPulseAt;
      lastPulseAt = now;
      try {
        await hub.requestPulse();
      } catch (err) {
        lastPulseAt = previous; // no pulse happened: do not hold the next attempt back
        if (err instanceof PulseUnavailableError) return sendJson(res, 503, { error: err.code });
        throw err;
      }
      log?.info('relay test pulse from the status page');
      return sendJson(res, 200, { ok: true });
    }

    if (method !== 'GET' && method !== 'HEAD')
      return sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED' }, { allow: 'GET, HEAD' });
    const asset = assets.get(path);
    if (asset) {
      res.writeHead(200, {
        'content-type': asset.type,
        'content-length': asset.body.length,
        'cache-control': 'no-cache',
      });
      res.end(method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (path === '/api/status') return sendJson(res, 200, snapshot());
    if (path === '/api/reasons') return sendJson(res, 200, REASON_TEXT);
    if (path === '/frame.png') {
      const png = await frames.png();
      if (!png) return sendJson(res, 404, { error: 'NO_FRAME' });
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-length': png.bytes.length,
        'cache-control': 'no-store',
        'x-frame-seq': String(png.seq),
        'x-frame-region': png.region ? 'yes' : 'no',
      });
      res.end(method === 'HEAD' ? undefined : png.bytes);
      return;
    }
    if (path === '/events') {
      if (streams.size >= maxStreams) return sendJson(res, 429, { error: 'TOO_MANY_STREAMS' });
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`retry: 2000\nevent: status\ndata: ${JSON.stringify(snapshot())}\n\n`);
      streams.add(res);
      const drop = () => streams.delete(res);
      req.on('close', drop);
      res.on('error', drop);
      return;
    }
    return sendJson(res, 404, { error: 'NOT_FOUND' });
  }

  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  log?.info({ url, pulse: tokenDigest !== null }, 'status page listening');

  return {
    url,
    port,
    async close() {
      unsubscribe();
      stopRefresh();
      if (statusTimer) clearTimeout(statusTimer);
      if (frameTimer) clearTimeout(frameTimer);
      for (const res of streams) res.end();
      streams.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time: both sides are hashed to 32 bytes first, so neither length nor content leaks through timing. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer (\S+)$/.exec(header ?? '');
  const given = sha256(m?.[1] ?? '');
  return timingSafeEqual(given, expected) && m !== null;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}
