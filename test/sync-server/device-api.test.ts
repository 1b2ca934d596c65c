import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodePublicKey,
  rootFingerprint,
  verifyBundle,
  verifyFreshness,
  verifyRevocations,
} from '../../protocol/index.js';
import {
  FRESHNESS_CACHE_SECONDS,
  FRESHNESS_PUBLISH_SECONDS,
  FRESHNESS_REFRESH_SECONDS,
} from '../../sync-server/freshness.js';
import type { DeviceRecord } from '../../sync-server/devices.js';
import { bytesOf, cleanup, enrolDevice, openTestServer, type TestServer } from '../support/server.js';

let s: TestServer;
afterEach(() => {
  s.close();
  cleanup(s.dir);
});

const rootOf = (srv: TestServer) => decodePublicKey(fs.readFileSync(path.join(srv.dir, 'keys', 'root.pub'), 'utf8'));

async function newCode(srv: TestServer, ttlSeconds?: number) {
  const res = await srv.admin('POST', '/api/admin/enrolments', ttlSeconds === undefined ? {} : { ttlSeconds });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; code: string; expiresAt: number; enrolmentUri: string; qrSvg: string };
}

const enrol = (srv: TestServer, code: string) =>
  srv.app.request('/api/device/enrol', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code }),
  });

async function revokeOne(srv: TestServer): Promise<string> {
  const res = await srv.admin('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 3600 });
  const { pass } = (await res.json()) as { pass: { passId: string; revocationId: string } };
  expect((await srv.admin('POST', `/api/admin/passes/${pass.passId}/revoke`)).status).toBe(200);
  return pass.revocationId;
}

describe('enrolment', () => {
  it('puts publicUrl into codes, never the Host header; a server off loopback needs publicUrl for codes', async () => {
    const u = async (srv: TestServer, headers: Record<string, string> = {}) => {
      const res = await srv.admin('POST', '/api/admin/enrolments', {}, headers);
      return { status: res.status, body: (await res.json()) as { enrolmentUri?: string; error?: string } };
    };
    s = openTestServer();
    s.services.core.listenUrl = 'http://127.0.0.1:8470';
    const spoofed = await u(s, { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' });
    expect(new URL(spoofed.body.enrolmentUri!).searchParams.get('u')).toBe('http://127.0.0.1:8470');
    s.close();
    s = openTestServer({ host: '0.0.0.0' });
    expect(await u(s)).toEqual({ status: 409, body: { error: 'PUBLIC_URL_REQUIRED', detail: 'publicUrl' } });
    expect(s.services.devices.listEnrolments()).toEqual([]); // no code was made
    s.close();
    s = openTestServer({ host: '0.0.0.0', publicUrl: 'https://gates.example.org/' });
    const ok = await u(s, { Host: 'evil.example' });
    expect(new URL(ok.body.enrolmentUri!).searchParams.get('u')).toBe('https://gates.example.org');
  });

  it('gives a one-time code whose URI carries the server URL, the code and the root fingerprint', async () => {
    s = openTestServer();
    s.services.core.listenUrl = 'http://127.0.0.1:8470'; // as startServer sets it once listening
    const e = await newCode(s, 600);
    expect(e.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(e.expiresAt).toBe(s.clock.seconds + 600);
    const uri = new URL(e.enrolmentUri);
    expect(uri.protocol).toBe('gatecode-enrol:');
    expect(uri.searchParams.get('u')).toBe('http://127.0.0.1:8470');
    expect(uri.searchParams.get('c')).toBe(e.code);
    expect(uri.searchParams.get('fp')).toBe(rootFingerprint(rootOf(s)));
    expect(e.qrSvg).toContain('<svg');

    const res = await enrol(s, e.code.toLowerCase());
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      deviceId: string;
      token: string;
      rootPublicKey: string;
      rootFingerprint: string;
    };
    expect(decodePublicKey(body.rootPublicKey)).toEqual(rootOf(s));
    expect(body.rootFingerprint).toBe(uri.searchParams.get('fp'));
    expect(body.token).toMatch(/^dev\./);

    const again = await enrol(s, e.code);
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'ENROLMENT_USED' });
  });

  it('refuses unknown (403), expired (410) and revoked (410) codes', async () => {
    s = openTestServer();
    expect((await enrol(s, 'AAAA-BBBB-CCCC')).status).toBe(403);
    expect((await enrol(s, 'not a code')).status).toBe(403);
    const e = await newCode(s, 60);
    s.clock.jumpSeconds(61);
    const expired = await enrol(s, e.code);
    expect(expired.status).toBe(410);
    expect(await expired.json()).toEqual({ error: 'ENROLMENT_EXPIRED' });
    const r = await newCode(s);
    expect((await s.admin('POST', `/api/admin/enrolments/${r.id}/revoke`)).status).toBe(200);
    expect(await (await enrol(s, r.code)).json()).toEqual({ error: 'ENROLMENT_REVOKED' });
    const list = (await (await s.admin('GET', '/api/admin/enrolments')).json()) as { enrolments: { status: string }[] };
    expect(list.enrolments.map((x) => x.status).sort()).toEqual(['expired', 'revoked']);
    expect((await s.admin('POST', '/api/admin/enrolments', { ttlSeconds: 10 * 86400 })).status).toBe(400);
  });

  it('rate-limits enrolment attempts per address', async () => {
    s = openTestServer({ trustProxy: true, rateLimit: { enrolPerAddress: { ratePerSecond: 0.1, burst: 3 } } });
    const tryFrom = (ip: string) =>
      s.app.request('/api/device/enrol', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
        body: JSON.stringify({ code: 'AAAA-BBBB-CCCC' }),
      });
    for (let i = 0; i < 3; i++) expect((await tryFrom('10.0.0.1')).status).toBe(403);
    expect((await tryFrom('10.0.0.1')).status).toBe(429);
    expect((await tryFrom('10.0.0.2')).status).toBe(403);
    // The proxy appends the peer it saw; what the client put in front of it must not open a fresh bucket.
    expect((await tryFrom('10.0.0.2')).status).toBe(403);
    expect((await tryFrom('10.0.0.2')).status).toBe(403);
    expect((await tryFrom('198.51.100.7, 10.0.0.2')).status).toBe(429);
    expect((await tryFrom('203.0.113.9,10.0.0.2')).status).toBe(429);
  });
});

describe('device sync', () => {
  it('serves the signed bundle with an ETag and answers 304 when it has not changed', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    expect((await s.app.request('/api/device/bundle')).status).toBe(401);
    const res = await s.device(dev.token, 'GET', '/api/device/bundle');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/cose');
    const etag = res.headers.get('etag') as string;
    const bundle = verifyBundle(await bytesOf(res), rootOf(s));
    const same = await s.device(dev.token, 'GET', '/api/device/bundle', undefined, { 'If-None-Match': etag });
    expect(same.status).toBe(304);
    await s.admin('PUT', '/api/admin/policy', { maxOfflineAgeSeconds: 600 });
    const changed = await s.device(dev.token, 'GET', '/api/device/bundle', undefined, { 'If-None-Match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const next = verifyBundle(await bytesOf(changed), rootOf(s), { minVersion: bundle.version });
    expect(next.version).toBe(bundle.version + 1);
  });

  it('serves revocation deltas since a sequence of its history, 304 when current, a snapshot for another history', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const root = rootOf(s);
    const bundle = verifyBundle(await bytesOf(await s.device(dev.token, 'GET', '/api/device/bundle')), root);
    // A device that names no history gets the whole list: here step 1, the empty list.
    const firstRes = await s.device(dev.token, 'GET', '/api/device/revocations?since=0');
    const log = firstRes.headers.get('gatecode-log-id') as string;
    const first = verifyRevocations(await bytesOf(firstRes), { rootPublicKey: root, bundle, currentSeq: 0 });
    expect(first).toMatchObject({ kind: 'snapshot', logId: log, fromSeq: 0, toSeq: 1, added: [] });
    expect(log).toBe(s.services.core.revocations.logId());
    expect((await s.device(dev.token, 'GET', `/api/device/revocations?since=1&log=${log}`)).status).toBe(304);
    const a = await revokeOne(s);
    const b = await revokeOne(s);
    const res = await s.device(dev.token, 'GET', `/api/device/revocations?since=1&log=${log}`);
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag') as string;
    const deltaBytes = await bytesOf(res);
    const delta = verifyRevocations(deltaBytes, { rootPublicKey: root, bundle, currentSeq: 1, logId: log });
    expect(delta).toMatchObject({ kind: 'delta', logId: log, fromSeq: 1, toSeq: 3 });
    expect(delta.added.map((e) => e.revocationId).sort()).toEqual([a, b].sort());
    expect(
      (
        await s.device(dev.token, 'GET', `/api/device/revocations?since=1&log=${log}`, undefined, {
          'If-None-Match': etag,
        })
      ).status,
    ).toBe(304);
    // The same sequence number of another history is other data: never a 304 or a delta, always a snapshot.
    const other = 'ab'.repeat(16);
    const foreign = await s.device(dev.token, 'GET', `/api/device/revocations?since=3&log=${other}`);
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('gatecode-revocation-kind')).toBe('snapshot');
    expect(verifyRevocations(await bytesOf(foreign), { rootPublicKey: root, bundle })).toMatchObject({
      kind: 'snapshot',
      logId: log,
      toSeq: 3,
    });
    expect((await s.device(dev.token, 'GET', '/api/device/revocations?since=1&log=AB')).status).toBe(400);
    expect((await s.device(dev.token, 'GET', '/api/device/revocations?since=-1')).status).toBe(400);
    expect((await s.device(dev.token, 'GET', '/api/device/revocations?since=x')).status).toBe(400);
    expect((await s.device(dev.token, 'GET', '/api/device/revocations?since=')).status).toBe(400);
    expect((await s.device(dev.token, 'GET', '/api/device/revocations?since=1&x=2')).status).toBe(400);
    // The same delta replayed to a device that already holds it is refused by the device.
    expect(() => verifyRevocations(deltaBytes, { rootPublicKey: root, bundle, currentSeq: 3 })).toThrow(
      expect.objectContaining({ code: 'VERSION_ROLLBACK' }),
    );
  });

  it('sends a snapshot to a device below the compaction floor', async () => {
    s = openTestServer({ revocations: { keepSteps: 2 } });
    const dev = await enrolDevice(s);
    const root = rootOf(s);
    const bundle = verifyBundle(await bytesOf(await s.device(dev.token, 'GET', '/api/device/bundle')), root);
    const ids = [await revokeOne(s), await revokeOne(s), await revokeOne(s), await revokeOne(s)];
    expect(s.services.core.revocations.seq()).toBe(5);
    expect(s.services.core.revocations.floor()).toBe(3);
    const log = s.services.core.revocations.logId();
    const res = await s.device(dev.token, 'GET', `/api/device/revocations?since=1&log=${log}`);
    expect(res.headers.get('gatecode-revocation-kind')).toBe('snapshot');
    const snap = verifyRevocations(await bytesOf(res), { rootPublicKey: root, bundle, currentSeq: 1 });
    expect(snap).toMatchObject({ kind: 'snapshot', fromSeq: 0, toSeq: 5 });
    expect(snap.added.map((e) => e.revocationId).sort()).toEqual([...ids].sort());
    const delta = verifyRevocations(
      await bytesOf(await s.device(dev.token, 'GET', `/api/device/revocations?since=3&log=${log}`)),
      {
        rootPublicKey: root,
        bundle,
        currentSeq: 3,
      },
    );
    expect(delta.added.map((e) => e.revocationId).sort()).toEqual(ids.slice(2).sort());
  });

  it('serves a signed freshness statement for the current data: never 304, re-signed after the cache time or a change', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const root = rootOf(s);
    const bundle = verifyBundle(await bytesOf(await s.device(dev.token, 'GET', '/api/device/bundle')), root);
    const get = async (headers: Record<string, string> = {}) => {
      const res = await s.device(dev.token, 'GET', '/api/device/freshness', undefined, headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/cose');
      expect(res.headers.get('etag')).toBeNull();
      expect(res.headers.get('cache-control')).toBe('no-store');
      const bytes = await bytesOf(res);
      return { bytes, stmt: verifyFreshness(bytes, { rootPublicKey: root, bundle }) };
    };
    const logId = s.services.core.revocations.logId();
    const first = await get({ 'If-None-Match': '*' });
    expect(first.stmt).toEqual({ issuedAt: s.clock.seconds, logId, bundleVersion: 1, revocationSeq: 1 });
    // Polls hand out the prepared statement; the server's timer signs the next one every FRESHNESS_REFRESH_SECONDS.
    s.clock.jumpSeconds(FRESHNESS_REFRESH_SECONDS - 1);
    expect((await get()).bytes).toEqual(first.bytes);
    s.clock.jumpSeconds(1); // the refresh timer runs
    const refreshed = await get();
    expect(refreshed.stmt.issuedAt).toBe(s.clock.seconds);
    expect((await get()).bytes).toEqual(refreshed.bytes);
    // A stalled timer (the wall clock moves, no timer runs): a poll serves a statement at most
    // FRESHNESS_CACHE_SECONDS old, and signs a new one itself past that.
    s.clock.set(s.clock.now() + (FRESHNESS_CACHE_SECONDS - 1) * 1000);
    expect((await get()).bytes).toEqual(refreshed.bytes);
    s.clock.set(s.clock.now() + 1000);
    expect((await get()).stmt.issuedAt).toBe(s.clock.seconds);
    await revokeOne(s);
    expect((await get()).stmt).toEqual({ issuedAt: s.clock.seconds, logId, bundleVersion: 1, revocationSeq: 2 });
    expect((await s.app.request('/api/device/freshness')).status).toBe(401);

    // The publish dir holds one too, rewritten by the periodic refresh.
    const file = path.join(s.dir, 'publish', 'freshness.cose');
    const published = () => verifyFreshness(new Uint8Array(fs.readFileSync(file)), { rootPublicKey: root, bundle });
    expect(published()).toMatchObject({ revocationSeq: 2 });
    const before = published().issuedAt;
    s.clock.advanceSeconds(FRESHNESS_PUBLISH_SECONDS); // the refresh timer runs on the injected clock
    expect(published()).toMatchObject({ logId, bundleVersion: 1, revocationSeq: 2 });
    expect(published().issuedAt).toBeGreaterThan(before);
    expect(s.clock.seconds - published().issuedAt).toBeLessThan(FRESHNESS_PUBLISH_SECONDS);
  });

  it('stores event batches once per idempotency key and refuses anything but the event fields', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const body = {
      events: [
        {
          at: s.clock.seconds,
          colour: 'green',
          reason: 'OK',
          passHash: 'ab'.repeat(16),
          direction: 'in',
          opened: true,
        },
        { at: s.clock.seconds, colour: 'red', reason: 'REVOKED', passHash: null, direction: null, opened: false },
      ],
      counters: { entries: 1, 'denied:REVOKED': 1 },
    };
    const post = (b: unknown, key?: string) =>
      s.device(dev.token, 'POST', '/api/device/events', b, key === undefined ? {} : { 'Idempotency-Key': key });
    const first = await post(body, 'batch-000001');
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ accepted: 2, duplicate: false });
    const replay = await post(body, 'batch-000001');
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ accepted: 2, duplicate: true });
    expect((s.services.core.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(2);
    expect((await post({ events: [] }, 'batch-000001')).status).toBe(409);
    expect(await (await post(body)).json()).toEqual({ error: 'IDEMPOTENCY_KEY_REQUIRED' });
    const withPassId = { events: [{ ...body.events[0], passId: 'ab'.repeat(16) }] };
    expect((await post(withPassId, 'batch-000002')).status).toBe(400);
    const summary = (await (await s.admin('GET', '/api/admin/events/summary')).json()) as { summary: unknown[] };
    expect(summary.summary).toHaveLength(2);
    // Events leave the server after the retention window.
    s.clock.jumpSeconds(8 * 86400);
    expect((await post({ events: [] }, 'batch-000003')).status).toBe(201);
    expect((s.services.core.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(0);
  });

  it('stores heartbeats with clock drift and data age for the admin page, and replies with the server time', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const hb = {
      versions: { bundle: 1, software: '0.1.0' },
      seq: 1,
      clock: s.clock.seconds + 42,
      counters: { entries: 7, occupancy: -1 },
      trustDataAt: s.clock.seconds - 58,
    };
    const res = await s.device(dev.token, 'POST', '/api/device/heartbeat', hb);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      serverTime: s.clock.now() / 1000,
      bundleVersion: 1,
      revocationSeq: 1,
      logId: s.services.core.revocations.logId(),
    });
    const { devices } = (await (await s.admin('GET', '/api/admin/devices')).json()) as { devices: DeviceRecord[] };
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({
      deviceId: dev.deviceId,
      name: 'gate-1',
      status: 'active',
      clockDriftSeconds: 42,
      dataAgeSeconds: 100,
      counters: { entries: 7, occupancy: -1 },
      lastHeartbeatAt: s.clock.seconds,
    });
    expect((await s.device(dev.token, 'POST', '/api/device/heartbeat', { ...hb, seq: -1 })).status).toBe(400);
  });

  it('rolls a token by handover: the old one works until the gate has fetched and used its new one', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const bundle = (t: string) => s!.device(t, 'GET', '/api/device/bundle');
    const exchange = async (t: string) => {
      const res = await s!.device(t, 'POST', '/api/device/token');
      return { status: res.status, body: (await res.json()) as { status: string; token?: string } };
    };
    const record = async () =>
      ((await (await s!.admin('GET', `/api/admin/devices/${dev.deviceId}`)).json()) as { device: DeviceRecord })
        .device;
    // No roll asked for: no header, and the token is current.
    expect((await bundle(dev.token)).headers.get('gatecode-token-roll')).toBeNull();
    expect(await exchange(dev.token)).toEqual({ status: 200, body: { status: 'current' } });

    const rolled = await s.admin('POST', `/api/admin/devices/${dev.deviceId}/roll`);
    expect(rolled.status).toBe(200);
    expect(await rolled.json()).toMatchObject({
      mode: 'handover',
      device: { status: 'active', tokenRollPendingSince: s.clock.seconds },
    });
    const old = await bundle(dev.token);
    expect(old.status).toBe(200);
    expect(old.headers.get('gatecode-token-roll')).toBe('pending');
    // A refusal carries it too (the gate learns of the roll whatever it asked).
    const refused = await s.device(dev.token, 'POST', '/api/device/heartbeat', { bad: 1 });
    expect([refused.status, refused.headers.get('gatecode-token-roll')]).toEqual([400, 'pending']);

    // Each exchange hands out a new token; the answer before is void (lost on the way, never stored).
    const first = await exchange(dev.token);
    expect(first.body.status).toBe('issued');
    const second = await exchange(dev.token);
    expect(second.body.status).toBe('issued');
    expect(second.body.token).not.toBe(first.body.token);
    expect((await bundle(first.body.token!)).status).toBe(401);
    expect((await bundle(dev.token)).status).toBe(200); // not confirmed yet: the old token still works
    expect((await record()).tokenRollPendingSince).toBe(s.clock.seconds);

    s.clock.jumpSeconds(5);
    // The new token's first use completes the roll and retires the old token.
    expect(await exchange(second.body.token!)).toEqual({ status: 200, body: { status: 'current' } });
    const now = await bundle(second.body.token!);
    expect([now.status, now.headers.get('gatecode-token-roll')]).toEqual([200, null]);
    const gone = await bundle(dev.token);
    expect([gone.status, await gone.json()]).toEqual([401, { error: 'TOKEN_INVALID' }]);
    expect(await record()).toMatchObject({ status: 'active', tokenRollPendingSince: null, tokenRolledAt: s.clock.seconds });
    const audit = (await (await s.admin('GET', '/api/admin/audit')).json()) as { entries: { action: string }[] };
    expect(audit.entries.map((e) => e.action).filter((a) => a.startsWith('device.roll'))).toEqual([
      'device.roll-complete',
      'device.roll-issue',
      'device.roll-issue',
      'device.roll',
    ]);
  });

  it('rolls a token immediately (every token dead, device revoked) and revokes a device (401 DEVICE_REVOKED)', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const other = await enrolDevice(s, 'gate-2');
    // A handover under way: the token handed out dies with the old one.
    await s.admin('POST', `/api/admin/devices/${dev.deviceId}/roll`);
    const handed = (await (await s.device(dev.token, 'POST', '/api/device/token')).json()) as { token: string };
    const now = await s.admin('POST', `/api/admin/devices/${dev.deviceId}/roll`, { mode: 'immediate' });
    expect(await now.json()).toMatchObject({ mode: 'immediate', device: { status: 'revoked' } });
    for (const t of [dev.token, handed.token]) {
      const res = await s.device(t, 'GET', '/api/device/bundle');
      expect(res.status).toBe(401);
    }
    expect((await s.admin('POST', `/api/admin/devices/${dev.deviceId}/roll`)).status).toBe(409);
    expect((await s.admin('POST', `/api/admin/devices/${dev.deviceId}/roll`, { mode: 'later' })).status).toBe(400);

    expect((await s.admin('POST', `/api/admin/devices/${other.deviceId}/revoke`)).status).toBe(200);
    const res = await s.device(other.token, 'GET', '/api/device/bundle');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'DEVICE_REVOKED' });
    expect((await s.admin('POST', '/api/admin/devices/0123456789abcdef/revoke')).status).toBe(404);
    expect((await s.admin('POST', '/api/admin/devices/0123456789abcdef/roll')).status).toBe(404);
  });
});
