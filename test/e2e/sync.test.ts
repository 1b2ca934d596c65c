// End to end on loopback: a real sync server (in process) and a real device store file, talking over real HTTP.
// enrol → issue → revoke turns the pass red within one poll; a colour change; a revoked device gets 401 and shows
// offline while it keeps deciding; an enrolment code cannot be used twice.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../device/store/index.js';
import type { DeviceStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { enrol } from '../../device/sync/enrolment.js';
import { SyncError } from '../../device/sync/errors.js';
import { parseEnrolUri } from '../../device/sync/enrol-uri.js';
import { deviceVerdict, startRealServer } from '../support/real-server.js';
import type { Admin } from '../support/real-server.js';

let env: Awaited<ReturnType<typeof startRealServer>>;
let admin: Admin;
let store: DeviceStore;
let client: SyncClient;
let uri: string;

beforeAll(async () => {
  env = await startRealServer();
  admin = env.admin;
  store = openStore(path.join(env.dir, 'device', 'device.db'));
  uri = await admin.enrolmentUri();
  await enrol({ store, uri, name: 'e2e gate' });
  client = new SyncClient({ store }, { pollIntervalSeconds: 1 });
});

afterAll(async () => {
  await client?.stop();
  store?.close();
  await env?.stop();
});

const verdict = (text: string): string => deviceVerdict(store, text, client.status().trustDataAt);

describe('device sync against a real server on loopback', () => {
  it('enrols with the code from the admin API and pins the root the code names', async () => {
    const code = parseEnrolUri(uri);
    expect(code.serverUrl).toBe(env.server.url);
    const listed = async () =>
      (await admin.call<{ devices: { deviceId: string; name: string }[] }>('GET', '/api/admin/devices')).body.devices;
    // Listed only once the device has used its token: an enrolment whose answer was lost leaves no device behind.
    expect(await listed()).toEqual([]);
    const r = await client.syncNow();
    expect(r.error).toBeNull();
    expect(r.ok).toBe(true);
    expect((await listed()).map((d) => d.name)).toEqual(['e2e gate']);
    expect(client.status()).toMatchObject({ online: true, bundleVersion: expect.any(Number), lastError: null });
    expect(Math.abs(client.status().clockDriftSeconds!)).toBeLessThan(2);
  });

  it('refuses a second use of the same enrolment code', async () => {
    const other = openStore(path.join(env.dir, 'device2', 'device.db'));
    try {
      await expect(enrol({ store: other, uri })).rejects.toMatchObject({ code: 'ENROL_REFUSED', status: 409 });
      expect(other.getState('deviceToken')).toBeNull();
    } finally {
      other.close();
    }
  });

  it('turns a pass red within one poll of its revocation', async () => {
    const pass = await admin.issue('green');
    await client.syncNow();
    expect(verdict(pass.text)).toBe('green/OK');
    await admin.revoke(pass.passId);
    const r = await client.syncNow();
    expect(r.revocations[0]).toMatchObject({ kind: 'applied' });
    expect(verdict(pass.text)).toBe('red/REVOKED');
  });

  it('follows a colour change: the new code shows its colour, the old one is revoked', async () => {
    const pass = await admin.issue('green');
    await client.syncNow();
    const changed = await admin.call<{ text: string; replaced: string }>(
      'POST',
      `/api/admin/passes/${pass.passId}/colour`,
      { colour: 'yellow' },
    );
    expect(changed.status).toBe(201);
    await client.syncNow();
    expect(verdict(changed.body.text)).toBe('yellow/OK');
    expect(verdict(pass.text)).toBe('red/REVOKED');
  });

  it('uploads events once and reports its heartbeat to the server', async () => {
    store.addEvent({
      at: Math.floor(Date.now() / 1000),
      colour: 'green',
      reason: 'OK',
      passHash: store.passHash('ab'.repeat(16)),
      direction: 'in',
      opened: true,
    });
    store.addEvent({
      at: Math.floor(Date.now() / 1000),
      colour: 'red',
      reason: 'REVOKED',
      passHash: null,
      direction: 'in',
      opened: false,
    });
    const r = await client.syncNow();
    expect(r.eventsUploaded).toBe(2);
    const summary = await admin.call<{ summary: { reason: string; count: number }[] }>(
      'GET',
      '/api/admin/events/summary',
    );
    expect(summary.body.summary.map((s) => `${s.reason}:${s.count}`).sort()).toEqual(['OK:1', 'REVOKED:1']);
    const devices = await admin.call<{
      devices: { heartbeat: { seq: number } | null; dataAgeSeconds: number | null }[];
    }>('GET', '/api/admin/devices');
    expect(devices.body.devices[0]!.heartbeat?.seq).toBe(store.revocationSeq());
  });

  it('shows offline with UNAUTHORIZED once the device is revoked, and keeps deciding from its store', async () => {
    const pass = await admin.issue('green');
    await client.syncNow();
    const devices = await admin.call<{ devices: { deviceId: string }[] }>('GET', '/api/admin/devices');
    const id = devices.body.devices[0]!.deviceId;
    expect((await admin.call('POST', `/api/admin/devices/${id}/revoke`)).status).toBe(200);
    const r = await client.syncNow();
    expect(r.error).toBeInstanceOf(SyncError);
    expect(r.error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(client.status()).toMatchObject({ online: false, lastError: 'UNAUTHORIZED' });
    expect(verdict(pass.text)).toBe('green/OK');
    expect(fs.existsSync(path.join(env.dir, 'device', 'device.db'))).toBe(true);
  });
});
