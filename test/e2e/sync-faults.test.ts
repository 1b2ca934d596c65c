// A fault-injecting proxy between the device and a real server on loopback: dropped connections, delays past the
// time limit, 500s, truncated bodies, tampered signatures and an older signed sequence replayed. The device keeps
// deciding from its store, refuses every bad artefact, and converges by itself once the faults stop.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../device/store/index.js';
import type { DeviceStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { enrol } from '../../device/sync/enrolment.js';
import { deviceVerdict, startRealServer } from '../support/real-server.js';
import type { Admin } from '../support/real-server.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import type { FaultMode, FaultProxy } from '../support/fault-proxy.js';
import { trustSnapshot } from '../device/sync/helpers/setup.js';

let env: Awaited<ReturnType<typeof startRealServer>>;
let admin: Admin;
let proxy: FaultProxy;
let store: DeviceStore;
let client: SyncClient;
let keeper: { text: string };
const revokedTexts: string[] = [];

const verdict = (text: string): string => deviceVerdict(store, text, client.status().trustDataAt);

async function serverStatus(): Promise<{ revocationSeq: number; bundleVersion: number }> {
  return (await admin.call<{ revocationSeq: number; bundleVersion: number }>('GET', '/api/admin/status')).body;
}

async function revokeOne(): Promise<void> {
  const p = await admin.issue('green');
  await admin.revoke(p.passId);
  revokedTexts.push(p.text);
}

function rejects(): number {
  return Object.entries(store.counters())
    .filter(([k]) => k.startsWith('sync_reject:'))
    .reduce((n, [, v]) => n + v, 0);
}

beforeAll(async () => {
  env = await startRealServer();
  admin = env.admin;
  proxy = await startFaultProxy(env.server.url);
  store = openStore(path.join(env.dir, 'device', 'device.db'));
  // The installer's network is the proxy: the device reaches the server only through it.
  const uri = (await admin.enrolmentUri()).replace(/u=[^&]+/, `u=${encodeURIComponent(proxy.url)}`);
  await enrol({ store, uri });
  client = new SyncClient(
    { store },
    {
      pollIntervalSeconds: 0.1,
      backoffBaseSeconds: 0.05,
      backoffMaxSeconds: 0.4,
      requestTimeoutSeconds: 1.5,
      jitter: 0.2,
    },
  );
  keeper = await admin.issue('green');
  await revokeOne();
  expect((await client.syncNow()).ok).toBe(true); // the proxy keeps this 0 → 1 delta for replay
  await revokeOne();
  expect((await client.syncNow()).ok).toBe(true);
  expect(store.revocationSeq()).toBe((await serverStatus()).revocationSeq);
});

afterAll(async () => {
  await client?.stop();
  store?.close();
  await proxy?.close();
  await env?.stop();
});

describe('sync through a faulty network', () => {
  const cases: [FaultMode, string][] = [
    ['drop', 'NETWORK'],
    ['delay', 'NETWORK'],
    ['error500', 'HTTP_STATUS'],
    ['truncate', 'NETWORK'],
    ['tamper', 'REJECTED:BAD_SIGNATURE'],
    ['replay-old', 'REJECTED:VERSION_ROLLBACK'],
  ];

  it.each(cases)('%s: nothing is applied, the reason is %s, and the device keeps deciding', async (mode, reason) => {
    await revokeOne();
    if (mode === 'tamper')
      await admin.call('PUT', '/api/admin/policy', { maxOfflineAgeSeconds: 7200 + revokedTexts.length });
    const before = trustSnapshot(store);
    const rejectsBefore = rejects();
    proxy.mode = mode;
    proxy.delayMs = 2_000;
    const r = await client.syncNow();
    proxy.mode = 'pass';
    expect(r.ok).toBe(false);
    expect(client.status().lastError).toBe(reason);
    const after = trustSnapshot(store);
    // replay-old only replaces the revocation answer: the genuine new bundle the tamper case held back may land.
    if (mode === 'replay-old')
      expect({ seq: after.seq, count: after.count }).toEqual({ seq: before.seq, count: before.count });
    else expect(after).toEqual(before);
    expect(verdict(revokedTexts.at(-1)!)).toBe('green/OK'); // not yet known to the device …
    expect(verdict(keeper.text)).toBe('green/OK'); // … and it keeps deciding
    if (reason.startsWith('REJECTED:')) {
      expect(rejects()).toBeGreaterThan(rejectsBefore);
      expect(store.counters()[`sync_reject:${reason.slice(9)}`]).toBeGreaterThanOrEqual(1);
    }
  });

  it('converges after the faults stop: every revoked pass red, bundle and sequence current', async () => {
    const r = await client.syncNow();
    expect(r.ok).toBe(true);
    const server = await serverStatus();
    expect(store.revocationSeq()).toBe(server.revocationSeq);
    expect(store.getBundle()?.bundle.version).toBe(server.bundleVersion);
    for (const t of revokedTexts) expect(verdict(t)).toBe('red/REVOKED');
    expect(verdict(keeper.text)).toBe('green/OK');
    expect(client.status()).toMatchObject({ online: true, lastError: null });
  });

  it('with the loop running under random faults, keeps deciding and converges without a restart', async () => {
    let n = 0;
    const modes: FaultMode[] = ['drop', 'error500', 'truncate', 'tamper', 'replay-old', 'delay', 'pass'];
    proxy.delayMs = 1_800;
    proxy.mode = () => modes[n++ % modes.length]!;
    client.start();
    const verdicts = new Set<string>();
    for (let i = 0; i < 4; i++) {
      await revokeOne();
      await admin.call('PUT', '/api/admin/policy', { maxOfflineAgeSeconds: 9000 + i });
      for (let k = 0; k < 5; k++) {
        verdicts.add(verdict(keeper.text));
        await new Promise((res) => setTimeout(res, 60));
      }
    }
    expect([...verdicts]).toEqual(['green/OK']);
    proxy.mode = 'pass';
    const server = await serverStatus();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const s = client.status();
      if (s.revocationSeq === server.revocationSeq && s.bundleVersion === server.bundleVersion && s.lastError === null)
        break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await client.stop();
    expect(store.revocationSeq()).toBe(server.revocationSeq);
    expect(store.getBundle()?.bundle.version).toBe(server.bundleVersion);
    for (const t of revokedTexts) expect(verdict(t)).toBe('red/REVOKED');
    expect(verdict(keeper.text)).toBe('green/OK');
    const seen = proxy.seen;
    expect(seen.drop + seen.error500 + seen.truncate + seen.tamper + seen['replay-old'] + seen.delay).toBeGreaterThan(
      6,
    );
  });
});
