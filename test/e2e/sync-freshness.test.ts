// A network path that freezes the device's view — 304 for the bundle and the revocations, an old (genuine)
// freshness statement replayed — while the server revokes a pass. Unsigned answers no longer make data fresh: on
// the device's (injected) clock the data ages past the policy's maxOfflineAgeSeconds and verdicts turn yellow
// (BUNDLE_STALE), though the device stays "online". Once the path is honest again the revocation arrives.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePass } from '../../protocol/index.js';
import { openStore } from '../../device/store/index.js';
import type { DeviceStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { enrol } from '../../device/sync/enrolment.js';
import { TrustKeeper } from '../../device/trust/keeper.js';
import { silentLog } from '../support/log.js';
import { ManualClock } from '../support/clock.js';
import { startRealServer } from '../support/real-server.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import type { FaultProxy } from '../support/fault-proxy.js';

let env: Awaited<ReturnType<typeof startRealServer>>;
let proxy: FaultProxy;
let store: DeviceStore;
let clock: ManualClock;
let client: SyncClient;

/** The verdict the device runtime would reach now on the injected clock. */
function verdict(text: string): string {
  const trust = new TrustKeeper(store, clock, silentLog(), null).state();
  const v = evaluatePass(text, {
    bundle: trust.bundle!,
    now: Math.floor(clock.now() / 1000),
    isRevoked: (id) => store.isRevoked(id),
    ...(trust.trustDataAt !== null ? { trustDataAt: trust.trustDataAt } : {}),
  });
  return `${v.colour}/${v.reason}`;
}

beforeAll(async () => {
  env = await startRealServer();
  proxy = await startFaultProxy(env.server.url);
  store = openStore(path.join(env.dir, 'device', 'device.db'));
  const uri = (await env.admin.enrolmentUri()).replace(/u=[^&]+/, `u=${encodeURIComponent(proxy.url)}`);
  await enrol({ store, uri });
  clock = new ManualClock(Date.now());
  client = new SyncClient({ store, clock });
});

afterAll(async () => {
  await client?.stop();
  store?.close();
  await proxy?.close();
  await env?.stop();
});

describe('data freshness comes from signed statements only', () => {
  it('a path answering 304 for ever makes the device stale after maxOfflineAgeSeconds, not fresh', async () => {
    expect((await client.syncNow()).ok).toBe(true);
    expect(proxy.capturedFreshness).not.toBeNull();
    const start = client.status().trustDataAt!;
    expect(Math.abs(start - Date.now() / 1000)).toBeLessThan(5);
    const maxAge = store.getBundle()!.bundle.policy.maxOfflineAgeSeconds;
    const issued = await env.admin.call<{ pass: { passId: string }; text: string }>('POST', '/api/admin/passes', {
      colour: 'green',
      validForSeconds: 30 * 86_400, // outlives the test's clock jump
      scope: 'all',
    });
    const pass = { passId: issued.body.pass.passId, text: issued.body.text };
    await env.admin.revoke(pass.passId);
    expect(verdict(pass.text)).toBe('green/OK'); // the device has not heard of the revocation yet

    proxy.mode = 'not-modified';
    const step = Math.ceil(maxAge / 4);
    for (let t = 0; t <= maxAge; t += step) {
      clock.advance(step * 1000);
      const r = await client.syncNow();
      expect(r.bundle).toBe('not-modified');
      expect(r.revocations).toEqual(['not-modified']);
      expect(r.freshness).toEqual({ kind: 'unchanged', artefact: 'freshness' });
    }
    expect(client.status()).toMatchObject({ online: true, lastError: null, trustDataAt: start });
    expect(client.status().lastSyncAt).toBe(Math.floor(clock.now() / 1000)); // informational only
    expect(verdict(pass.text)).toBe('yellow/BUNDLE_STALE');

    proxy.mode = 'pass';
    expect((await client.syncNow()).ok).toBe(true);
    expect(verdict(pass.text)).toBe('red/REVOKED');
    expect(client.status().trustDataAt).toBeGreaterThan(start - 1);
  });
});
