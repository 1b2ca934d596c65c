// A real listening server on 127.0.0.1: the network path (socket addresses, chunked bodies, shutdown).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../sync-server/server.js';
import { cleanup, tempDir, testConfig } from '../support/server.js';

let server: RunningServer | null = null;
let dir = '';
afterEach(async () => {
  await server?.close();
  server = null;
  cleanup(dir);
});

/** POST a body in chunks without Content-Length (chunked transfer encoding). */
function postChunked(url: string, token: string, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('sync server on loopback', () => {
  it('answers /healthz, serves the admin page, and keeps keys and token across restarts', async () => {
    dir = tempDir();
    const pageDir = path.join(dir, 'page');
    fs.mkdirSync(pageDir);
    fs.writeFileSync(path.join(pageDir, 'index.html'), '<!doctype html><title>admin</title>');
    server = await startServer(testConfig(path.join(dir, 'data')), { adminPageDir: pageDir });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const page = await fetch(`${server.url}/admin`);
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${server.url}/admin/`);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('<title>admin</title>');
    expect((await fetch(`${server.url}/admin/..%2F..%2Fdata%2Fadmin.token`)).status).toBe(404);
    expect((await fetch(`${server.url}/admin/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/admin/%E0%A4%A`)).status).toBe(404);

    const token = fs.readFileSync(server.tokenFile, 'utf8').trim();
    const rootBefore = fs.readFileSync(path.join(dir, 'data', 'keys', 'root.key'), 'utf8');
    expect(fs.statSync(path.join(dir, 'data', 'keys', 'root.key')).mode & 0o777).toBe(0o600);
    await server.close();
    expect((await fetch(`${server.url}/healthz`).catch(() => null))?.status).toBeUndefined();

    server = await startServer(testConfig(path.join(dir, 'data')));
    expect(server.createdAdminToken).toBeNull();
    expect(server.createdKeys).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'data', 'keys', 'root.key'), 'utf8')).toBe(rootBefore);
    const res = await fetch(`${server.url}/api/admin/passes`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });

  it('limits requests per client address over real sockets', async () => {
    dir = tempDir();
    server = await startServer(testConfig(dir, { rateLimit: { perAddress: { ratePerSecond: 0.5, burst: 5 } } }));
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fetch(`${server.url}/healthz`)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it('answers 413 for a chunked body over the limit', async () => {
    dir = tempDir();
    server = await startServer(testConfig(dir, { bodyLimitBytes: 4096 }));
    const token = fs.readFileSync(server.tokenFile, 'utf8').trim();
    const chunk = 'x'.repeat(1024);
    const res = await postChunked(`${server.url}/api/admin/passes`, token, [
      '{"colour":"green","pad":"',
      ...Array(8).fill(chunk),
      '"}',
    ]);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ error: 'BODY_TOO_LARGE' });
  });

  it('refuses to start on a port that is taken, and leaves the data dir usable', async () => {
    dir = tempDir();
    server = await startServer(testConfig(path.join(dir, 'a')));
    const clash = testConfig(path.join(dir, 'b'), { port: server.port });
    await expect(startServer(clash)).rejects.toThrow(/EADDRINUSE/);
  });
});
