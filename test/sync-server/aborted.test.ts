// Uploads the client aborts half-way are the client's business: one debug line each, no error lines (2,000
// aborted uploads once gave 2,000 error-level lines).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../sync-server/server.js';
import { cleanup, tempDir, testConfig } from '../support/server.js';

let server: RunningServer | null = null;
let dir = '';
afterEach(async () => {
  await server?.close(100);
  server = null;
  cleanup(dir);
});

describe('aborted requests', () => {
  it('are logged once each at debug, never as errors', async () => {
    dir = tempDir();
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as never);
        done();
      },
    });
    server = await startServer(testConfig(path.join(dir, 'data')), { log: pino({ level: 'debug' }, sink) });
    const token = fs.readFileSync(server.tokenFile, 'utf8').trim();
    const admin = (p: string, body: object) =>
      fetch(server!.url + p, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, string>>);
    const { code } = await admin('/api/admin/enrolments', {});
    const dev = await (
      await fetch(`${server.url}/api/device/enrol`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      })
    ).json();
    const { port } = server;
    const abortOne = () =>
      new Promise<void>((resolve) => {
        const sock = net.connect(port, '127.0.0.1', () => {
          sock.write(
            'POST /api/device/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
              `Authorization: Bearer ${(dev as { token: string }).token}\r\nIdempotency-Key: batch-000001\r\n` +
              'Content-Length: 100000\r\n\r\n{"events":[',
          );
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 50);
        });
      });
    for (let i = 0; i < 5; i++) await abortOne();
    await new Promise((r) => setTimeout(r, 300));
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.filter((l) => l.msg === 'request aborted by the client')).toHaveLength(5);
  }, 30_000);

  it('an internal error on a POST whose body was read is a 500 with an error line, not an aborted request', async () => {
    dir = tempDir();
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as never);
        done();
      },
    });
    server = await startServer(testConfig(path.join(dir, 'data')), { log: pino({ level: 'debug' }, sink) });
    const token = fs.readFileSync(server.tokenFile, 'utf8').trim();
    server.services.core.db.exec('DROP TABLE audit'); // every admin change writes the audit log: now it fails
    const r = await fetch(server.url + '/api/admin/enrolments', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ error: 'INTERNAL' });
    expect(lines.filter((l) => l.level >= 50 && l.msg === 'request failed')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'request aborted by the client')).toEqual([]);
  }, 30_000);
});
