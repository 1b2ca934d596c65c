// A plain node:http server on 127.0.0.1 serving a Deployment's signed artefacts the way the sync server's device
// API does (bearer token, ETag, 304 when nothing is newer, a freshness statement), up to a sequence the test chooses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deployment } from './deployment.js';

export interface StaticServer {
  readonly url: string;
  /** The sequence served: deltas go up to here; `since` at or above it gets 304. */
  servedSeq: number;
  close(): Promise<void>;
}

export async function startStaticServer(
  d: Deployment,
  token: string,
  deltas = new Map<string, Uint8Array>(),
): Promise<StaticServer> {
  let servedSeq = d.seq;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (req.headers.authorization !== `Bearer ${token}`)
        return void res.writeHead(401).end('{"error":"TOKEN_INVALID"}');
      if (u.pathname === '/api/device/bundle')
        return void res.writeHead(200, { 'content-type': 'application/cose' }).end(d.currentBytes);
      if (u.pathname === '/api/device/revocations') {
        const since = Number(u.searchParams.get('since'));
        if (since >= servedSeq) return void res.writeHead(304).end();
        const key = `${since}-${servedSeq}`;
        let bytes = deltas.get(key);
        if (!bytes) deltas.set(key, (bytes = d.delta(since, servedSeq)));
        return void res
          .writeHead(200, { 'content-type': 'application/cose', 'content-length': bytes.length })
          .end(bytes);
      }
      if (u.pathname === '/api/device/freshness') {
        const bytes = d.freshness({ revocationSeq: servedSeq });
        return void res.writeHead(200, { 'content-type': 'application/cose' }).end(bytes);
      }
      if (u.pathname === '/api/device/events')
        return void res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      if (u.pathname === '/api/device/heartbeat') {
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ serverTime: Date.now() / 1000 }));
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get servedSeq() {
      return servedSeq;
    },
    set servedSeq(n) {
      servedSeq = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
