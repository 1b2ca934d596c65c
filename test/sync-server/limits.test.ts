// Limits the issue found missing: issuer key rotation beyond what a bundle can list, key files of failed changes,
// event quotas per device and in total (a stolen gate token must not fill the disk and stop revocations), and
// the clean-up of expired events by index in small batches.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BUNDLE_ISSUERS } from '../../protocol/index.js';
import { CLEAN_BATCH } from '../../sync-server/devices.js';
import { cleanup, enrolDevice, openTestServer, type TestServer } from '../support/server.js';

let s: TestServer | null = null;
afterEach(() => {
  if (s) {
    s.close();
    cleanup(s.dir);
  }
  s = null;
});

const keyFiles = (srv: TestServer): string[] => fs.readdirSync(path.join(srv.dir, 'keys')).sort();

describe('issuer key rotation', () => {
  it('refuses a rotation the bundle could not list with a 409, leaving no key file behind', async () => {
    s = openTestServer();
    const db = s.services.core.db;
    const now = s.clock.seconds;
    // 255 retired keys, each with an unexpired pass: with the active key the bundle lists the maximum.
    const key = db.prepare(
      "INSERT INTO signing_keys (kid, role, issuer, public_key, file, created_at, retired_at) VALUES (?, 'issuer', 'gatecode', ?, ?, ?, ?)",
    );
    const pass = db.prepare(
      "INSERT INTO passes (pass_id, revocation_id, colour, not_before, expires_at, scope, issued_at, kid, status) VALUES (?, ?, 'green', ?, ?, 'all', ?, ?, 'active')",
    );
    const pub = Buffer.alloc(32, 1).toString('base64url');
    db.transaction(() => {
      for (let i = 0; i < MAX_BUNDLE_ISSUERS - 1; i++) {
        const kid = i.toString(16).padStart(16, '0');
        key.run(kid, pub, `keys/issuer-${kid}.key`, now - 100, now - 50);
        pass.run(`${i}`.padStart(32, 'a'), `${i}`.padStart(32, 'b'), now - 60, now + 86_400, now - 60, kid);
      }
    })();
    expect(s.services.core.trust.issuerCount(now)).toBe(MAX_BUNDLE_ISSUERS);
    const before = keyFiles(s);
    for (const body of [{}, { revokeOld: true }]) {
      const res = await s.admin('POST', '/api/admin/keys/rotate', body);
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({
        error: 'TOO_MANY_KEYS',
        detail: `issuers:${MAX_BUNDLE_ISSUERS}`,
      });
    }
    expect(keyFiles(s)).toEqual(before);
  });

  it('removes the key files of a rotation whose transaction rolled back', () => {
    s = openTestServer();
    const core = s.services.core;
    const before = keyFiles(s);
    expect(() =>
      core.change({ bundle: true }, (now) => {
        core.keys.rotate({ issuer: 'gatecode', now, revokeOld: false });
        expect(keyFiles(s!).length).toBe(before.length + 2);
        throw new Error('later step failed');
      }),
    ).toThrow('later step failed');
    expect(keyFiles(s)).toEqual(before);
    expect(() => core.keys.activeIssuer()).not.toThrow();
  });
});

const event = (at: number) => ({ at, colour: 'green', reason: 'OK', passHash: null, direction: null, opened: true });
let batch = 0;
const upload = (srv: TestServer, token: string, n: number) =>
  srv.device(
    token,
    'POST',
    '/api/device/events',
    { events: Array.from({ length: n }, () => event(srv.clock.seconds)) },
    { 'Idempotency-Key': `batch-${String(++batch).padStart(6, '0')}` },
  );
const revokeOne = async (srv: TestServer): Promise<number> => {
  const issued = (await (
    await srv.admin('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 3600 })
  ).json()) as { pass: { passId: string } };
  return (await srv.admin('POST', `/api/admin/passes/${issued.pass.passId}/revoke`)).status;
};

describe('event quotas', () => {
  it('caps one device token with 429 EVENT_QUOTA and Retry-After, counts it, and revocations still work', async () => {
    s = openTestServer({ events: { perDevice: { ratePerSecond: 1, burst: 100 } } });
    const dev = await enrolDevice(s);
    const other = await enrolDevice(s, 'gate-2');
    expect((await upload(s, dev.token, 60)).status).toBe(201);
    const refused = await upload(s, dev.token, 60);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: 'EVENT_QUOTA' });
    expect(Number(refused.headers.get('retry-after'))).toBe(20);
    expect(await revokeOne(s)).toBe(200);
    expect((await upload(s, other.token, 60)).status).toBe(201); // another gate has its own quota
    const devices = (await (await s.admin('GET', '/api/admin/devices')).json()) as {
      devices: { deviceId: string; eventsRefused: number }[];
    };
    expect(devices.devices.map((d) => [d.deviceId, d.eventsRefused])).toEqual([
      [dev.deviceId, 60],
      [other.deviceId, 0],
    ]);
    s.clock.jumpSeconds(20);
    expect((await upload(s, dev.token, 60)).status).toBe(201);
  });

  it('refuses uploads with 507 EVENT_STORAGE_FULL at the total limit, shown in the status, and revocations still work', async () => {
    s = openTestServer({ events: { maxStored: 1000, perDevice: { ratePerSecond: 1000, burst: 100_000 } } });
    const dev = await enrolDevice(s);
    expect((await upload(s, dev.token, 1000)).status).toBe(201);
    const full = await upload(s, dev.token, 1);
    expect(full.status).toBe(507);
    expect(await full.json()).toEqual({ error: 'EVENT_STORAGE_FULL', detail: 'maxStored:1000' });
    const status = (await (await s.admin('GET', '/api/admin/status')).json()) as Record<string, unknown>;
    expect(status['events']).toEqual({ stored: 1000, maxStored: 1000 });
    expect(await revokeOne(s)).toBe(200);
    // Past the retention time the old events go, in batches, and uploads are taken again.
    s.clock.jumpSeconds(s.services.core.config.events.retentionSeconds + 1);
    expect((await upload(s, dev.token, 1)).status).toBe(201);
    expect(s.services.devices.eventStorage().stored).toBe(1);
  });

  it('deletes expired events and idempotency keys by index, at most CLEAN_BATCH per upload', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const db = s.services.core.db;
    const plan = (sql: string): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(0, 1) as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan('SELECT device_id, key FROM event_batches WHERE received_at < ? ORDER BY received_at LIMIT ?')).toMatch(
      /USING (COVERING )?INDEX event_batches_received/,
    );
    expect(plan('SELECT id FROM events WHERE received_at < ? ORDER BY received_at LIMIT ?')).toMatch(
      /USING (COVERING )?INDEX events_received/,
    );
    const old = s.clock.seconds - s.services.core.config.events.retentionSeconds - 10;
    db.transaction(() => {
      const ev = db.prepare(
        "INSERT INTO events (device_id, at, colour, reason, opened, not_passed, received_at) VALUES (?, ?, 'green', 'OK', 1, 0, ?)",
      );
      const key = db.prepare(
        "INSERT INTO event_batches (device_id, key, body_hash, received_at, count) VALUES (?, ?, x'00', ?, 1)",
      );
      for (let i = 0; i < CLEAN_BATCH + 500; i++) {
        ev.run(dev.deviceId, old, old);
        key.run(dev.deviceId, `old-${i}`, old);
      }
    })();
    const count = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    expect((await upload(s, dev.token, 1)).status).toBe(201);
    expect([count('events'), count('event_batches')]).toEqual([501, 501]);
    expect((await upload(s, dev.token, 1)).status).toBe(201);
    expect([count('events'), count('event_batches')]).toEqual([2, 2]);
  });
});

describe('numbers in device bodies', () => {
  it('refuses numbers beyond their range (1e308, -1, fractions where whole) with 400 and the field', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const hb = { versions: { bundle: 1 }, seq: 1, clock: s.clock.seconds, counters: {}, trustDataAt: null };
    const heartbeat = (b: unknown) => s!.device(dev.token, 'POST', '/api/device/heartbeat', b);
    expect((await heartbeat(hb)).status).toBe(200);
    for (const [field, bad] of [
      ['seq', { ...hb, seq: 1e308 }],
      ['seq', { ...hb, seq: 1.5 }],
      ['clock', { ...hb, clock: 1e308 }],
      ['trustDataAt', { ...hb, trustDataAt: 1e308 }],
      ['versions.bundle', { ...hb, versions: { bundle: 1e308 } }],
    ] as const) {
      const res = await heartbeat(bad);
      expect(res.status, field).toBe(400);
      expect(await res.json()).toEqual({ error: 'VALIDATION_FAILED', detail: field });
    }
    const events = (e: Record<string, unknown>) =>
      s!.device(
        dev.token,
        'POST',
        '/api/device/events',
        { events: [{ ...event(s!.clock.seconds), ...e }] },
        { 'Idempotency-Key': `batch-${String(++batch).padStart(6, '0')}` },
      );
    expect((await events({})).status).toBe(201);
    expect((await events({ at: 1e308 })).status).toBe(400);
    expect((await events({ id: 1e308 })).status).toBe(400);
  });
});
