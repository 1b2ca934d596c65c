// The not-modified poll path (docs/performance.md, bench:server): a proven token is checked without a hash, 304s
// carry header records prepared per artefact, the revocations query is parsed once per distinct text, and
// last-seen times are written in batches. Each shortcut must keep what it replaced: a revoked or rolled token is
// refused on the very next request, a changed artefact is answered with its own headers, the rate limit holds,
// and the admin API sees every device's latest request.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../sync-server/config.js';
import type { DeviceRecord } from '../../sync-server/devices.js';
import { SEEN_FLUSH_MS } from '../../sync-server/devices.js';
import { startServer, type RunningServer } from '../../sync-server/server.js';
import { cleanup, enrolDevice, openTestServer, type TestServer } from '../support/server.js';

let s: TestServer | null = null;
let real: { server: RunningServer; dir: string } | null = null;
afterEach(async () => {
  if (s) {
    s.close();
    cleanup(s.dir);
    s = null;
  }
  if (real) {
    await real.server.close();
    cleanup(real.dir);
    real = null;
  }
});

const devicesOf = async (srv: TestServer) =>
  ((await (await srv.admin('GET', '/api/admin/devices')).json()) as { devices: DeviceRecord[] }).devices;

describe('token check on the poll path', () => {
  it('refuses a token on the very next poll after the admin revokes its device, though it was proven before', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const etag = (await s.device(dev.token, 'GET', '/api/device/bundle')).headers.get('etag') as string;
    const poll = (t: string) => s!.device(t, 'GET', '/api/device/bundle', undefined, { 'If-None-Match': etag });
    for (let i = 0; i < 3; i++) expect((await poll(dev.token)).status).toBe(304);
    // Same device id, another secret: the proven secret is no key for anything else.
    const forged = dev.token.replace(/\.[A-Za-z0-9_-]{43}$/, `.${'A'.repeat(43)}`);
    expect(forged).not.toBe(dev.token);
    const refused = await poll(forged);
    expect([refused.status, await refused.json()]).toEqual([401, { error: 'TOKEN_INVALID' }]);
    expect((await poll(dev.token)).status).toBe(304);

    expect((await s.admin('POST', `/api/admin/devices/${dev.deviceId}/revoke`)).status).toBe(200);
    const next = await poll(dev.token);
    expect([next.status, await next.json()]).toEqual([401, { error: 'DEVICE_REVOKED' }]);
  });

  it('refuses the old token on the very next poll after an immediate roll, and after a handover completes', async () => {
    s = openTestServer();
    const lost = await enrolDevice(s, 'lost');
    const kept = await enrolDevice(s, 'kept');
    const poll = (t: string) => s!.device(t, 'GET', '/api/device/bundle');
    expect((await poll(lost.token)).status).toBe(200);
    expect((await s.admin('POST', `/api/admin/devices/${lost.deviceId}/roll`, { mode: 'immediate' })).status).toBe(200);
    expect((await poll(lost.token)).status).toBe(401);

    expect((await poll(kept.token)).status).toBe(200);
    expect((await s.admin('POST', `/api/admin/devices/${kept.deviceId}/roll`)).status).toBe(200);
    expect((await poll(kept.token)).headers.get('gatecode-token-roll')).toBe('pending');
    const issued = (await (await s.device(kept.token, 'POST', '/api/device/token')).json()) as { token: string };
    expect((await poll(issued.token)).status).toBe(200); // completes the roll
    const old = await poll(kept.token);
    expect([old.status, await old.json()]).toEqual([401, { error: 'TOKEN_INVALID' }]);
  });

  it('keeps the per-token rate limit on not-modified polls', async () => {
    s = openTestServer({ rateLimit: { perToken: { ratePerSecond: 1, burst: 3 } } });
    const dev = await enrolDevice(s);
    const etag = (await s.device(dev.token, 'GET', '/api/device/bundle')).headers.get('etag') as string;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await s.device(dev.token, 'GET', '/api/device/bundle', undefined, { 'If-None-Match': etag });
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('1');
    }
    expect(statuses).toEqual([304, 304, 429]);
    s.clock.advanceSeconds(1);
    const after = await s.device(dev.token, 'GET', '/api/device/bundle', undefined, { 'If-None-Match': etag });
    expect(after.status).toBe(304);
  });
});

describe('last-seen times', () => {
  it('shows each device’s latest request in the admin API, written for many polls in one transaction', async () => {
    s = openTestServer();
    const a = await enrolDevice(s, 'a');
    const b = await enrolDevice(s, 'b');
    const t0 = s.clock.seconds;
    expect((await s.device(a.token, 'GET', '/api/device/bundle')).status).toBe(200);
    s.clock.jumpSeconds(3);
    expect((await s.device(a.token, 'GET', '/api/device/bundle')).status).toBe(200);
    expect((await s.device(b.token, 'GET', '/api/device/freshness')).status).toBe(200);
    // Read before the flush timer: the list shows the request 3 s after the first, not the first.
    const seen = Object.fromEntries((await devicesOf(s)).map((d) => [d.name, d.lastSeenAt]));
    expect(seen).toEqual({ a: t0 + 3, b: t0 + 3 });
    const one = (await (await s.admin('GET', `/api/admin/devices/${b.deviceId}`)).json()) as { device: DeviceRecord };
    expect(one.device.lastSeenAt).toBe(t0 + 3);

    // Polls from both gates, then the timer: one transaction writes them all.
    const change = vi.spyOn(s.services.core, 'change');
    s.clock.jumpSeconds(10);
    for (const t of [a.token, b.token, a.token])
      expect((await s.device(t, 'GET', '/api/device/bundle')).status).toBe(200);
    expect(change).not.toHaveBeenCalled();
    s.clock.advance(SEEN_FLUSH_MS);
    expect(change).toHaveBeenCalledTimes(1);
    const rows = s.services.core.db.prepare('SELECT name, last_seen_at AS at FROM devices ORDER BY name').all();
    expect(rows).toEqual([
      { name: 'a', at: t0 + 13 },
      { name: 'b', at: t0 + 13 },
    ]);
  });

  it('writes heartbeats with the last-seen times, shows the latest at once, and keeps newer event counters', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const beat = (entries: number) => ({
      versions: { bundle: 1 },
      seq: 1,
      clock: s!.clock.seconds,
      counters: { entries },
    });
    expect((await s.device(dev.token, 'GET', '/api/device/bundle')).status).toBe(200); // confirms the enrolment
    const change = vi.spyOn(s.services.core, 'change');
    for (const n of [1, 2])
      expect((await s.device(dev.token, 'POST', '/api/device/heartbeat', beat(n))).status).toBe(200);
    expect(change).not.toHaveBeenCalled();
    s.clock.jumpSeconds(2);
    expect((await s.device(dev.token, 'POST', '/api/device/heartbeat', beat(3))).status).toBe(200);
    expect((await devicesOf(s))[0]).toMatchObject({ lastHeartbeatAt: s.clock.seconds, counters: { entries: 3 } });
    expect(change).toHaveBeenCalledTimes(1);

    // A heartbeat not yet written, then an event upload with newer counters: the upload's counters stay.
    expect((await s.device(dev.token, 'POST', '/api/device/heartbeat', beat(4))).status).toBe(200);
    const upload = await s.device(
      dev.token,
      'POST',
      '/api/device/events',
      {
        events: [{ at: s.clock.seconds, colour: 'green', reason: 'OK', passHash: null, direction: null, opened: true }],
        counters: { entries: 5 },
      },
      { 'Idempotency-Key': 'batch-000001' },
    );
    expect(upload.status).toBe(201);
    s.clock.advance(SEEN_FLUSH_MS);
    const row = s.services.core.db.prepare('SELECT counters, heartbeat FROM devices').get() as {
      counters: string;
      heartbeat: string;
    };
    expect(JSON.parse(row.counters)).toEqual({ entries: 5 });
    expect(JSON.parse(row.heartbeat)).toMatchObject({ counters: { entries: 4 } });
  });

  it('never moves last-seen back behind a later heartbeat', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    expect((await s.device(dev.token, 'GET', '/api/device/bundle')).status).toBe(200); // confirms the enrolment
    const t0 = s.clock.seconds;
    s.services.devices.touch(dev.deviceId);
    s.clock.jumpSeconds(4);
    s.services.devices.heartbeat(dev.deviceId, { versions: { bundle: 1 }, seq: 1, clock: t0 + 4, counters: {} });
    s.services.devices.flushSeen();
    expect((await devicesOf(s))[0]?.lastSeenAt).toBe(t0 + 4);
  });

  it('writes the last requests’ times when the server stops (real server, real SQLite file)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-poll-'));
    const dataDir = path.join(dir, 'data');
    const server = await startServer(parseConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent' }));
    real = { server, dir };
    const admin = fs.readFileSync(server.tokenFile, 'utf8').trim();
    const json = { 'Content-Type': 'application/json' };
    const enr = (await (
      await fetch(`${server.url}/api/admin/enrolments`, {
        method: 'POST',
        headers: { ...json, Authorization: `Bearer ${admin}` },
        body: '{}',
      })
    ).json()) as { code: string };
    const dev = (await (
      await fetch(`${server.url}/api/device/enrol`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ code: enr.code }),
      })
    ).json()) as { deviceId: string; token: string };
    const before = Math.floor(Date.now() / 1000);
    const res = await fetch(`${server.url}/api/device/bundle`, { headers: { Authorization: `Bearer ${dev.token}` } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await server.close();
    const db = new Database(path.join(dataDir, 'gatecode.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT last_seen_at AS at FROM devices WHERE id = ?').get(dev.deviceId) as { at: number };
      expect(row.at).toBeGreaterThanOrEqual(before);
    } finally {
      db.close();
    }
  });
});

describe('not-modified answers over HTTP', () => {
  it('carry the headers of the current artefact, prepared again when it changes, and the roll header when due', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-poll-'));
    const server = await startServer(
      parseConfig({
        dataDir: path.join(dir, 'data'),
        port: 0,
        host: '127.0.0.1',
        logLevel: 'silent',
        publishDelayMs: 0,
      }),
    );
    real = { server, dir };
    const adminToken = fs.readFileSync(server.tokenFile, 'utf8').trim();
    const admin = (method: string, p: string, body?: unknown) =>
      fetch(server.url + p, {
        method,
        headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    const { code } = (await (await admin('POST', '/api/admin/enrolments')).json()) as { code: string };
    const dev = (await (
      await fetch(`${server.url}/api/device/enrol`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code }),
      })
    ).json()) as { deviceId: string; token: string };
    const get = async (p: string, headers: Record<string, string> = {}) => {
      const res = await fetch(server.url + p, { headers: { Authorization: `Bearer ${dev.token}`, ...headers } });
      await res.arrayBuffer();
      return res;
    };
    const pick = (res: Response, names: string[]) => [res.status, ...names.map((n) => res.headers.get(n))];
    const B = ['etag', 'cache-control', 'gatecode-bundle-version', 'gatecode-token-roll'];
    const R = ['cache-control', 'gatecode-revocation-seq', 'gatecode-log-id', 'gatecode-token-roll'];

    const v1 = await get('/api/device/bundle');
    const etag1 = v1.headers.get('etag') as string;
    expect(pick(await get('/api/device/bundle', { 'If-None-Match': etag1 }), B)).toEqual([
      304,
      etag1,
      'no-cache',
      '1',
      null,
    ]);
    expect((await admin('PUT', '/api/admin/policy', { maxOfflineAgeSeconds: 600 })).status).toBe(200);
    const v2 = await get('/api/device/bundle', { 'If-None-Match': etag1 });
    const etag2 = v2.headers.get('etag') as string;
    expect([v2.status, etag2 === etag1]).toEqual([200, false]);
    expect(pick(await get('/api/device/bundle', { 'If-None-Match': etag2 }), B)).toEqual([
      304,
      etag2,
      'no-cache',
      '2',
      null,
    ]);

    const first = await get('/api/device/revocations');
    const log = first.headers.get('gatecode-log-id') as string;
    const seq1 = first.headers.get('gatecode-revocation-seq') as string;
    const current = (since: string) => `/api/device/revocations?since=${since}&log=${log}`;
    expect(pick(await get(current(seq1)), R)).toEqual([304, 'no-cache', seq1, log, null]);
    // A bad query between two good ones is refused; the good one is answered as before.
    expect((await get(`/api/device/revocations?since=x&log=${log}`)).status).toBe(400);
    expect((await get(current(seq1))).status).toBe(304);
    const issued = (await (
      await admin('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 3600 })
    ).json()) as {
      pass: { passId: string };
    };
    expect((await admin('POST', `/api/admin/passes/${issued.pass.passId}/revoke`)).status).toBe(200);
    const delta = await get(current(seq1));
    const seq2 = delta.headers.get('gatecode-revocation-seq') as string;
    expect([delta.status, delta.headers.get('gatecode-revocation-kind'), Number(seq2) > Number(seq1)]).toEqual([
      200,
      'delta',
      true,
    ]);
    expect(pick(await get(current(seq2)), R)).toEqual([304, 'no-cache', seq2, log, null]);

    // While a handover roll waits, a 304 says so too.
    expect((await admin('POST', `/api/admin/devices/${dev.deviceId}/roll`)).status).toBe(200);
    expect(pick(await get('/api/device/bundle', { 'If-None-Match': etag2 }), B)).toEqual([
      304,
      etag2,
      'no-cache',
      '2',
      'pending',
    ]);
    expect(pick(await get(current(seq2)), R)).toEqual([304, 'no-cache', seq2, log, 'pending']);
  });
});
