// Refusals written before the request body is read (rate limit) over real loopback HTTP with bodies far larger
// than a socket buffer: every one must reach the client with its Retry-After (before the fix about four in ten
// were connection resets), and a body over the limit gets its 413 with `Connection: close`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../sync-server/config.js';
import { startServer, type RunningServer } from '../../sync-server/server.js';

let dir: string;
let server: RunningServer;
let deviceToken: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-early-'));
  server = await startServer(
    parseConfig({
      dataDir: dir,
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      bodyLimitBytes: 2 << 20,
      rateLimit: { perAddress: { ratePerSecond: 1000, burst: 10_000 }, perToken: { ratePerSecond: 0.01, burst: 1 } },
    }),
  );
  const admin = fs.readFileSync(server.tokenFile, 'utf8').trim();
  const enr = (await (
    await fetch(`${server.url}/api/admin/enrolments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: '{"ttlSeconds":600}',
    })
  ).json()) as { code: string };
  const dev = (await (
    await fetch(`${server.url}/api/device/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: enr.code }),
    })
  ).json()) as { token: string };
  deviceToken = dev.token;
  // The one request the bucket holds: every upload below is refused before its body is read.
  await fetch(`${server.url}/api/device/bundle`, { headers: { authorization: `Bearer ${deviceToken}` } });
});

afterAll(async () => {
  await server?.close(100);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function upload(bytes: number, i: number): Promise<string> {
  try {
    const res = await fetch(`${server.url}/api/device/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${deviceToken}`,
        'content-type': 'application/json',
        'idempotency-key': `early-${i}-0000`,
      },
      body: `{"events":[${'0,'.repeat(bytes / 2)}0]}`,
    });
    await res.text();
    return `${res.status} retry-after:${res.headers.get('retry-after') !== null} connection:${res.headers.get('connection')}`;
  } catch (err) {
    return `reset ${(err as { cause?: { code?: string } }).cause?.code ?? ''}`;
  }
}

describe('refusals before the body is read', () => {
  it('every 429 reaches the client with Retry-After, and the connection stays usable', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) seen.push(await upload(1 << 20, i));
    expect(new Set(seen)).toEqual(new Set(['429 retry-after:true connection:keep-alive']));
  });

  it('a body over the limit gets 413 with Connection: close', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push(await upload(3 << 20, 100 + i));
    expect(new Set(seen)).toEqual(new Set(['413 retry-after:false connection:close']));
  });
});
