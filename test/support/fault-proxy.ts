// A fault-injecting HTTP proxy on 127.0.0.1 between the device and the server. Each request is handled by the
// current mode (a function of the request path, or fixed): pass through, drop the connection, drop it after the
// server has answered ('drop-answer': the server acted, the device never hears), delay, answer 500, truncate the body, flip a byte of a signed
// body, replay an older signed revocation answer captured earlier, or freeze the device's view ('not-modified': 304
// for the bundle and revocations, and the first freshness statement seen replayed for ever).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode =
  | 'pass'
  | 'drop'
  | 'drop-answer'
  | 'delay'
  | 'error500'
  | 'truncate'
  | 'tamper'
  | 'replay-old'
  | 'not-modified';

export interface FaultProxy {
  readonly url: string;
  mode: FaultMode | ((path: string) => FaultMode);
  delayMs: number;
  /** Requests seen per mode, for the test's own accounting. */
  readonly seen: Record<FaultMode, number>;
  /** The first 200 answer to a revocations request, kept for replay-old. */
  captured: Buffer | null;
  /** The first 200 answer to a freshness request, replayed in not-modified mode. */
  capturedFreshness: Buffer | null;
  close(): Promise<void>;
}

const COSE_PATHS = /^\/api\/device\/(bundle|revocations)/;

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const state = {
    mode: 'pass' as FaultProxy['mode'],
    delayMs: 0,
    captured: null as Buffer | null,
    capturedFreshness: null as Buffer | null,
    seen: {
      pass: 0,
      drop: 0,
      'drop-answer': 0,
      delay: 0,
      error500: 0,
      truncate: 0,
      tamper: 0,
      'replay-old': 0,
      'not-modified': 0,
    } as Record<FaultMode, number>,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const mode = typeof state.mode === 'function' ? state.mode(path) : state.mode;
      state.seen[mode] += 1;
      if (mode === 'drop') {
        req.socket.destroy();
        return;
      }
      if (mode === 'error500') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"INJECTED"}');
        return;
      }
      if (mode === 'replay-old' && path.startsWith('/api/device/revocations') && state.captured) {
        res
          .writeHead(200, { 'content-type': 'application/cose', 'content-length': state.captured.length })
          .end(state.captured);
        return;
      }
      if (mode === 'not-modified' && COSE_PATHS.test(path)) {
        res.writeHead(304).end();
        return;
      }
      if (mode === 'not-modified' && path.startsWith('/api/device/freshness')) {
        const old = state.capturedFreshness;
        if (old) res.writeHead(200, { 'content-type': 'application/cose', 'content-length': old.length }).end(old);
        else res.writeHead(304).end();
        return;
      }
      const forward = (): void => {
        const up = http.request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path,
            headers: { ...req.headers, host: upstream.host },
          },
          (upRes) => {
            const body: Buffer[] = [];
            upRes.on('data', (c: Buffer) => body.push(c));
            upRes.on('end', () => {
              if (mode === 'drop-answer') {
                req.socket.destroy();
                return;
              }
              let bytes = Buffer.concat(body);
              const status = upRes.statusCode ?? 502;
              const headers = { ...upRes.headers };
              if (status === 200 && path.startsWith('/api/device/revocations') && state.captured === null)
                state.captured = bytes;
              if (status === 200 && path.startsWith('/api/device/freshness') && state.capturedFreshness === null)
                state.capturedFreshness = bytes;
              if (mode === 'tamper' && status === 200 && COSE_PATHS.test(path) && bytes.length > 8) {
                bytes = Buffer.from(bytes);
                const i = bytes.length - 7;
                bytes[i] = (bytes[i] as number) ^ 0x10;
              }
              if (mode === 'truncate' && bytes.length > 2) {
                // Announce the full length, send half, then cut the connection.
                res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
                res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
                return;
              }
              delete headers['transfer-encoding'];
              res.writeHead(status, { ...headers, 'content-length': String(bytes.length) }).end(bytes);
            });
          },
        );
        up.on('error', () => res.destroy());
        up.end(Buffer.concat(chunks));
      };
      if (mode === 'delay') setTimeout(forward, state.delayMs);
      else forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms) {
      state.delayMs = ms;
    },
    get captured() {
      return state.captured;
    },
    set captured(b) {
      state.captured = b;
    },
    get capturedFreshness() {
      return state.capturedFreshness;
    },
    set capturedFreshness(b) {
      state.capturedFreshness = b;
    },
    seen: state.seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
