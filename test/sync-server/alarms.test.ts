// The server's alarm and webhook API in process: transitions are stored once per event id, a clear closes its
// raise, malformed batches and unknown keys are refused, the per-device quota answers 429, the store is bounded;
// webhooks refuse non-http(s) URLs, show their secret once, queue deliveries only for subscribed types, and a
// removed hook takes its deliveries with it.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { enrolDevice, openTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

let s: TestServer | null = null;
afterEach(() => {
  s?.close();
  s = null;
});

const id = () => randomBytes(16).toString('hex');
const post = (srv: TestServer, token: string, alarms: unknown[]) =>
  srv.device(token, 'POST', '/api/device/alarms', { alarms });
const list = async (srv: TestServer, q = 'status=all') =>
  ((await (await srv.admin('GET', `/api/admin/alarms?${q}`)).json()) as { alarms: Record<string, unknown>[] }).alarms;

describe('device alarms', () => {
  it('stores each transition once, and a clear closes the open raise of its kind', async () => {
    s = openTestServer();
    const { token, deviceId } = await enrolDevice(s, 'door 1');
    const raise = { id: id(), kind: 'door-forced', state: 'raised', at: 1000.5 };
    let res = await post(s, token, [raise]);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
    res = await post(s, token, [raise]); // the answer was lost: sent again
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 0, duplicates: 1 });
    expect(await list(s)).toEqual([
      expect.objectContaining({
        deviceId,
        deviceName: 'door 1',
        kind: 'door-forced',
        raisedAt: 1000.5,
        clearedAt: null,
        active: true,
        status: 'open',
      }),
    ]);
    await post(s, token, [{ id: id(), kind: 'door-forced', state: 'cleared', at: 1010 }]);
    expect(await list(s)).toEqual([expect.objectContaining({ clearedAt: 1010, active: false, status: 'open' })]);
    // A clear whose raise never arrived (outbox overflow) is kept on its own.
    await post(s, token, [{ id: id(), kind: 'lockdown', state: 'cleared', at: 1020 }]);
    expect((await list(s))[0]).toMatchObject({ kind: 'lockdown', raisedAt: null, clearedAt: 1020 });
    expect(await list(s, `status=all&kind=door-forced&device=${deviceId}`)).toHaveLength(1);
  });

  it('refuses malformed batches, unknown keys and other devices’ tokens', async () => {
    s = openTestServer();
    const { token } = await enrolDevice(s);
    const ok = { id: id(), kind: 'door-forced', state: 'raised', at: 1 };
    for (const bad of [
      [],
      [{ ...ok, id: 'short' }],
      [{ ...ok, kind: 'DOOR' }],
      [{ ...ok, state: 'open' }],
      [{ ...ok, passId: 'x' }],
      Array.from({ length: 51 }, () => ({ ...ok, id: id() })),
    ]) {
      const res = await post(s, token, bad);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
    }
    expect((await post(s, 'dev.nope.nope', [ok])).status).toBe(401);
    expect(await list(s)).toEqual([]);
  });

  it('answers 429 EVENT_QUOTA beyond the per-device quota, with Retry-After', async () => {
    s = openTestServer({ alarms: { perDevice: { ratePerSecond: 0.1, burst: 3 } } });
    const { token } = await enrolDevice(s);
    const batch = () => Array.from({ length: 3 }, () => ({ id: id(), kind: 'door-forced', state: 'raised', at: 1 }));
    expect((await post(s, token, batch())).status).toBe(201);
    const res = await post(s, token, batch());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.json()).toMatchObject({ error: 'EVENT_QUOTA' });
  });

  it('keeps at most maxStored alarms: the oldest acknowledged go first', async () => {
    s = openTestServer({ alarms: { maxStored: 100, perDevice: { ratePerSecond: 1000, burst: 1000 } } });
    const { token } = await enrolDevice(s);
    const many = (n: number, state: string) =>
      Array.from({ length: n }, () => ({ id: id(), kind: 'door-forced', state, at: 1 }));
    for (let i = 0; i < 2; i++) expect((await post(s, token, many(50, 'raised'))).status).toBe(201);
    const oldest = (await list(s, 'status=all&limit=1000')).at(-1)!;
    expect((await s.admin('POST', `/api/admin/alarms/${String(oldest['id'])}/ack`)).status).toBe(200);
    expect((await post(s, token, many(1, 'raised'))).status).toBe(201);
    const now = await list(s, 'status=all&limit=1000');
    expect(now).toHaveLength(100);
    expect(now.some((a) => a['id'] === oldest['id'])).toBe(false);
    // Nothing acknowledged or cleared left to drop: the next one is refused (507), nothing is lost silently.
    const res = await post(s, token, many(1, 'raised'));
    expect(res.status).toBe(507);
  });
});

describe('webhook configuration', () => {
  it('refuses URLs that are not http(s) or carry credentials, and unknown event types', async () => {
    s = openTestServer();
    for (const url of [
      'file:///etc/passwd',
      'gopher://x',
      'ftp://h/',
      'http://user:pw@h/',
      'not a url',
      'javascript:alert(1)',
    ]) {
      const res = await s.admin('POST', '/api/admin/webhooks', { url, events: ['alarm.raised'] });
      expect(res.status, url).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
    }
    expect((await s.admin('POST', '/api/admin/webhooks', { url: 'https://h/', events: ['pass.issued'] })).status).toBe(
      400,
    );
  });

  it('shows the secret once, keeps the database owner-only, and queues deliveries only for subscribed types', async () => {
    s = openTestServer();
    const res = await s.admin('POST', '/api/admin/webhooks', {
      url: 'https://example.test/hook',
      events: ['pass.revoked'],
    });
    expect(res.status).toBe(201);
    const { hook, secret } = (await res.json()) as { hook: { id: string }; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = JSON.stringify(await (await s.admin('GET', '/api/admin/webhooks')).json());
    expect(listed).toContain(hook.id);
    expect(listed).not.toContain(secret);
    expect(fs.statSync(s.services.core.dbFile).mode & 0o777).toBe(0o600);
    const { token } = await enrolDevice(s);
    await post(s, token, [{ id: id(), kind: 'door-forced', state: 'raised', at: 1 }]); // not subscribed
    const issued = (await (
      await s.admin('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 3600 })
    ).json()) as {
      pass: { passId: string };
    };
    await s.admin('POST', `/api/admin/passes/${issued.pass.passId}/revoke`);
    const deliveries = async () =>
      (
        (await (await s!.admin('GET', '/api/admin/webhooks/deliveries')).json()) as {
          deliveries: { eventType: string; status: string }[];
        }
      ).deliveries;
    // No dispatcher runs in process: the deliveries wait in the outbox.
    expect((await deliveries()).map((d) => `${d.eventType}:${d.status}`)).toEqual(['pass.revoked:pending']);
    expect((await s.admin('POST', `/api/admin/webhooks/${hook.id}/test`)).status).toBe(202);
    expect(await deliveries()).toHaveLength(2);
    expect((await s.admin('DELETE', `/api/admin/webhooks/${hook.id}`)).status).toBe(200);
    expect(await deliveries()).toEqual([]);
    expect((await s.admin('DELETE', `/api/admin/webhooks/${hook.id}`)).status).toBe(404);
    const audit = ((await (await s.admin('GET', '/api/admin/audit')).json()) as { entries: { action: string }[] })
      .entries;
    expect(audit.map((e) => e.action)).toEqual(
      expect.arrayContaining(['webhook.add', 'webhook.test', 'webhook.remove']),
    );
  });
});
