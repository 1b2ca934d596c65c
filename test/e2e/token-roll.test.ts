// Token rolls end to end on loopback: a real sync server (in process), a real device store file and the device's
// sync client. A handover roll completes without human help while the device keeps syncing; an answer lost
// between the server handing out the new token and the device storing it (or between storing and first use)
// loses nothing; an immediate roll kills the old token at once and the gate needs a new enrolment code.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../device/store/index.js';
import type { DeviceStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { enrol } from '../../device/sync/enrolment.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { deviceVerdict, startRealServer } from '../support/real-server.js';
import type { Admin } from '../support/real-server.js';

let env: Awaited<ReturnType<typeof startRealServer>>;
let admin: Admin;
let proxy: FaultProxy | null = null;
const opened: { store: DeviceStore; client: SyncClient }[] = [];
let gates = 0;

beforeAll(async () => {
  env = await startRealServer();
  admin = env.admin;
});

afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.client.stop();
    o.store.close();
  }
  await proxy?.close();
  proxy = null;
});

afterAll(async () => {
  await env?.stop();
});

interface DeviceRecord {
  deviceId: string;
  status: string;
  tokenRollPendingSince: number | null;
  tokenRolledAt: number | null;
}

/** A gate enrolled with a new code and synced once; optionally talking to the server through `via`. */
async function gate(via?: string): Promise<{ store: DeviceStore; client: SyncClient; deviceId: string }> {
  const store = openStore(path.join(env.dir, `gate-${++gates}`, 'device.db'));
  const e = await enrol({ store, uri: await admin.enrolmentUri(), name: `gate ${gates}` });
  if (via) store.setState('serverUrl', via);
  const client = new SyncClient({ store }, { pollIntervalSeconds: 1 });
  opened.push({ store, client });
  expect((await client.syncNow()).error).toBeNull();
  return { store, client, deviceId: e.deviceId };
}

const record = async (id: string) =>
  (await admin.call<{ device: DeviceRecord }>('GET', `/api/admin/devices/${id}`)).body.device;
const roll = async (id: string, mode?: 'handover' | 'immediate') =>
  (await admin.call<{ mode: string; device: DeviceRecord }>('POST', `/api/admin/devices/${id}/roll`, { mode })).body;
/** What the server answers a request with this token. */
const statusWith = async (token: string) =>
  (await fetch(`${env.server.url}/api/device/bundle`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('token roll (real server, real device store)', () => {
  it('completes a handover roll by itself while the gate keeps syncing and deciding', async () => {
    const g = await gate();
    const oldToken = g.store.getState('deviceToken')!;
    const pass = await admin.issue('green');
    expect((await roll(g.deviceId)).device.tokenRollPendingSince).toEqual(expect.any(Number));
    expect(await statusWith(oldToken)).toBe(200); // nothing changes until the gate has its new token

    // The loop runs on its own: within a few polls the gate holds a new token and the old one is retired.
    g.client.start();
    await expect
      .poll(async () => (await record(g.deviceId)).tokenRollPendingSince, { timeout: 10_000, interval: 100 })
      .toBeNull();
    await g.client.stop();
    const newToken = g.store.getState('deviceToken')!;
    expect(newToken).not.toBe(oldToken);
    expect(await statusWith(oldToken)).toBe(401);
    expect(await statusWith(newToken)).toBe(200);
    expect(await record(g.deviceId)).toMatchObject({ status: 'active', tokenRolledAt: expect.any(Number) });

    // Still syncing with the new token: a revocation turns the pass red within one poll.
    await admin.revoke(pass.passId);
    const r = await g.client.syncNow();
    expect(r.error).toBeNull();
    expect(g.client.status()).toMatchObject({ online: true, lastError: null });
    expect(deviceVerdict(g.store, pass.text, g.client.status().trustDataAt)).toBe('red/REVOKED');
  });

  it('loses nothing when the new token is lost on the way or the gate stops before using it', async () => {
    proxy = await startFaultProxy(env.server.url);
    const g = await gate(proxy.url);
    const oldToken = g.store.getState('deviceToken')!;
    await roll(g.deviceId);

    // The server hands out a new token but the answer never arrives (as if the gate died before storing it).
    proxy.mode = (p) => (p.startsWith('/api/device/token') ? 'drop-answer' : 'pass');
    const lost = await g.client.syncNow();
    expect(lost.error?.code).toBe('NETWORK');
    expect(proxy.seen['drop-answer']).toBeGreaterThan(0);
    expect(g.store.getState('deviceToken')).toBe(oldToken);
    expect(await statusWith(oldToken)).toBe(200); // the gate is not lost: its old token still works

    // Next time the token arrives and is stored, but the answers to its first use are lost (the client sends a
    // request on a dropped connection once more).
    let tokenCalls = 0;
    proxy.mode = (p) => (p.startsWith('/api/device/token') && ++tokenCalls >= 2 ? 'drop-answer' : 'pass');
    const stored = await g.client.syncNow();
    expect(stored.error?.code).toBe('NETWORK');
    const newToken = g.store.getState('deviceToken')!;
    expect(newToken).not.toBe(oldToken);

    // The cycle after brings everything in line: the server saw the new token, the old one is retired.
    proxy.mode = 'pass';
    const after = await g.client.syncNow();
    expect(after.error).toBeNull();
    expect(g.store.getState('deviceToken')).toBe(newToken);
    expect(await statusWith(oldToken)).toBe(401);
    expect(await statusWith(newToken)).toBe(200);
    expect((await record(g.deviceId)).tokenRollPendingSince).toBeNull();
  });

  it('kills the old token at once on an immediate roll; the gate is then re-enrolled with a new code', async () => {
    const g = await gate();
    const oldToken = g.store.getState('deviceToken')!;
    const out = await roll(g.deviceId, 'immediate');
    expect(out).toMatchObject({ mode: 'immediate', device: { status: 'revoked' } });
    expect(await statusWith(oldToken)).toBe(401);
    const r = await g.client.syncNow();
    expect(r.error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(g.client.status().online).toBe(false);

    await enrol({ store: g.store, uri: await admin.enrolmentUri(), reenrol: true });
    expect((await g.client.syncNow()).error).toBeNull();
    const { devices } = (await admin.call<{ devices: DeviceRecord[] }>('GET', '/api/admin/devices')).body;
    expect(devices.find((d) => d.deviceId === g.deviceId)?.status).toBe('revoked');
    expect(devices.filter((d) => d.status === 'active').map((d) => d.deviceId)).toContain(
      g.store.getState('deviceId'),
    );
  });
});
