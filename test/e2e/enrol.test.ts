// Enrolment against a real server on loopback: a code whose fingerprint does not match the server's root is
// refused before it is spent (issue 11: it was used up and left an active device that never synced).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { enrol } from '../../device/sync/enrolment.js';
import { readEnrolment } from '../../device/trust/enrolment.js';
import { parseConfig } from '../../sync-server/config.js';
import { startServer, type RunningServer } from '../../sync-server/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-enrol-'));
let server: RunningServer | null = null;
afterAll(async () => {
  await server?.close(100);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function admin<T>(method: string, p: string, body?: object): Promise<T> {
  const token = fs.readFileSync(server!.tokenFile, 'utf8').trim();
  const res = await fetch(server!.url + p, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as T;
}

describe('enrolment on loopback', () => {
  it('checks the root fingerprint before spending the code; the code then works; re-enrolment replaces the record', async () => {
    server = await startServer(parseConfig({ dataDir: path.join(dir, 'server'), port: 0, logLevel: 'silent' }));
    const { enrolmentUri, id } = await admin<{ enrolmentUri: string; id: string }>('POST', '/api/admin/enrolments', {});
    expect(new URL(enrolmentUri).searchParams.get('u')).toBe(server.url);
    const store = openStore(path.join(dir, 'device.db'));
    try {
      const wrong = enrolmentUri.replace(/fp=[^&]+/, 'fp=AAAA-BBBB-CCCC-DDDD');
      await expect(enrol({ store, uri: wrong })).rejects.toMatchObject({ code: 'FINGERPRINT_MISMATCH' });
      expect(readEnrolment(store)).toBeNull();
      const codes = await admin<{ enrolments: { id: string; status: string }[] }>('GET', '/api/admin/enrolments');
      expect(codes.enrolments.find((e) => e.id === id)?.status).toBe('open');
      expect((await admin<{ devices: unknown[] }>('GET', '/api/admin/devices')).devices).toEqual([]);
      const e = await enrol({ store, uri: enrolmentUri });
      expect(readEnrolment(store)?.deviceId).toBe(e.deviceId);
      const devices = async () =>
        (await admin<{ devices: { deviceId: string; status: string }[] }>('GET', '/api/admin/devices')).devices;
      const client = new SyncClient({ store });
      expect((await client.syncNow()).ok).toBe(true);
      expect(await devices()).toEqual([expect.objectContaining({ deviceId: e.deviceId, status: 'active' })]);
      // Re-enrolment (a new code, the same gate) replaces the old record instead of leaving two active devices.
      const second = await admin<{ enrolmentUri: string }>('POST', '/api/admin/enrolments', {});
      const again = await enrol({ store, uri: second.enrolmentUri, reenrol: true });
      expect(again.deviceId).not.toBe(e.deviceId);
      expect((await client.syncNow()).ok).toBe(true);
      expect((await devices()).map((d) => [d.deviceId, d.status])).toEqual([
        [e.deviceId, 'revoked'],
        [again.deviceId, 'active'],
      ]);
      await client.stop();
    } finally {
      store.close();
    }
  }, 60_000);
});
