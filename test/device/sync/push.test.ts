// The device's push channel client against a real SSE server on loopback: frames parsed, reconnects with backoff
// when the server drops or goes away, a silent stream taken for dead, the stream closed on stop.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSse, PushClient } from '../../../device/sync/push.js';
import type { PushEvent } from '../../../device/sync/push.js';
import { STATE_KEYS } from '../../../device/store/types.js';
import { Deployment } from '../../support/deployment.js';

const FAST = { pollIntervalMs: 20, jitter: 0.3, backoffBaseMs: 20, backoffMaxMs: 200 };

describe('parseSse', () => {
  const cases: { title: string; input: string; frames: Partial<PushEvent>[]; rest: string }[] = [
    {
      title: 'an event with id and data',
      input: 'event: command\nid: ab\ndata: {"x":1}\n\n',
      frames: [{ event: 'command', id: 'ab', data: '{"x":1}' }],
      rest: '',
    },
    { title: 'comments (pings) only', input: ': ping\n\n: ping\n\n', frames: [], rest: '' },
    {
      title: 'a partial frame stays in the buffer',
      input: 'event: hello\ndata: {',
      frames: [],
      rest: 'event: hello\ndata: {',
    },
    {
      title: 'CRLF line ends and multi-line data',
      input: 'data: a\r\ndata: b\r\n\r\nevent: x\n',
      frames: [{ event: 'message', id: null, data: 'a\nb' }],
      rest: 'event: x\n',
    },
  ];
  for (const c of cases)
    it(c.title, () => {
      const out = parseSse(c.input);
      expect(out.frames).toEqual(c.frames.map((f) => expect.objectContaining(f)));
      expect(out.rest).toBe(c.rest);
    });
});

interface SseServer {
  url: string;
  port: number;
  /** Requests seen, with their URL and authorization header. */
  requests: { url: string; auth: string | undefined }[];
  open: Set<http.ServerResponse>;
  send(text: string): void;
  dropAll(): void;
  close(): Promise<void>;
}

async function sseServer(hello: string, port = 0): Promise<SseServer> {
  const requests: SseServer['requests'] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', auth: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(hello);
    open.add(res);
    res.on('close', () => open.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    open,
    send: (text) => open.forEach((r) => r.write(text)),
    dropAll: () => open.forEach((r) => r.destroy()),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function enrolledStore(serverUrl: string) {
  const state = new Map<string, string>([
    [STATE_KEYS.serverUrl, serverUrl],
    [STATE_KEYS.deviceId, 'dev1'],
    [STATE_KEYS.deviceToken, 'gcd.dev1.secret'],
    [STATE_KEYS.rootPublicKey, new Deployment().rootPublicKey],
  ]);
  return { getState: (k: string) => state.get(k) ?? null };
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('PushClient', { timeout: 20_000 }, () => {
  it('connects with its token and gate, hands events to their handler, and closes the stream on stop', async () => {
    const srv = await sseServer('event: hello\ndata: {"heartbeatSeconds":15}\n\n');
    cleanups.push(() => srv.close());
    const client = new PushClient({
      store: enrolledStore(srv.url),
      place: { site: 'north', gate: 'n1' },
      lockdown: () => true,
      timing: FAST,
    });
    const got: PushEvent[] = [];
    client.on('command', (e) => got.push(e));
    client.start();
    await until(() => client.connected && srv.open.size === 1);
    expect(srv.requests[0]).toEqual({
      url: '/api/device/push?site=north&gate=n1&lockdown=1',
      auth: 'Bearer gcd.dev1.secret',
    });
    srv.send('event: command\nid: 01\ndata: {"a":1}\n\n: ping\n\nevent: other\ndata: x\n\n');
    await until(() => got.length === 1);
    expect(got[0]).toEqual({ event: 'command', id: '01', data: '{"a":1}' });
    await client.stop();
    expect(client.connected).toBe(false);
    await until(() => srv.open.size === 0);
    expect(srv.requests).toHaveLength(1); // no reconnect after stop
  });

  it('reconnects after the server drops the stream, and after the server was away for a while', async () => {
    const srv = await sseServer('event: hello\ndata: {"heartbeatSeconds":15}\n\n');
    const client = new PushClient({
      store: enrolledStore(srv.url),
      place: { site: 'north', gate: 'n1' },
      timing: FAST,
    });
    cleanups.push(() => client.stop());
    client.start();
    await until(() => client.connections === 1 && srv.open.size === 1);
    srv.dropAll();
    await until(() => client.connections === 2 && srv.open.size === 1);
    // The server goes away: refused connections, retried with backoff, never thrown.
    await srv.close();
    await until(() => !client.connected);
    await new Promise((r) => setTimeout(r, 300));
    const back = await sseServer('event: hello\ndata: {"heartbeatSeconds":15}\n\n', srv.port);
    cleanups.push(() => back.close());
    await until(() => client.connections === 3 && back.open.size === 1);
    expect(client.connected).toBe(true);
  });

  it('takes a stream silent for 2.5 heartbeats for dead and opens a new one', async () => {
    const srv = await sseServer('event: hello\ndata: {"heartbeatSeconds":0.05}\n\n');
    cleanups.push(() => srv.close());
    const client = new PushClient({
      store: enrolledStore(srv.url),
      place: { site: 'north', gate: 'n1' },
      timing: FAST,
    });
    cleanups.push(() => client.stop());
    client.start();
    await until(() => client.connections >= 3); // each stream dies after ~125 ms of silence
    expect(srv.requests.length).toBeGreaterThanOrEqual(3);
  });

  it('does not connect while the device is not enrolled', async () => {
    const srv = await sseServer('');
    cleanups.push(() => srv.close());
    const client = new PushClient({
      store: { getState: () => null },
      place: { site: 'north', gate: 'n1' },
      timing: FAST,
    });
    client.start();
    await new Promise((r) => setTimeout(r, 100));
    await client.stop();
    expect(srv.requests).toHaveLength(0);
  });
});
