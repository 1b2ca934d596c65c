import { afterEach, describe, expect, it } from 'vitest';
import { evaluatePass } from '../../../protocol/index.js';
import { STATE_KEYS } from '../../../device/store/index.js';
import type { SyncState } from '../../../device/trust/types.js';
import { makeRig, trustSnapshot } from './helpers/setup.js';
import type { Rig } from './helpers/setup.js';
import { T0_S } from '../../support/deployment.js';

let rig: Rig;
afterEach(() => rig.close());

function verdictOf(r: Rig, text: string): string {
  const held = r.store.getBundle()!;
  const v = evaluatePass(text, {
    bundle: held.bundle,
    now: Math.floor(r.clock.now() / 1000),
    isRevoked: (id) => r.store.isRevoked(id),
    trustDataAt: r.client.status().trustDataAt ?? undefined,
  });
  return `${v.colour}/${v.reason}`;
}

describe('sync cycle', () => {
  it('fetches, verifies and applies the bundle and revocations, then reports online with data age 0', async () => {
    rig = await makeRig();
    const revoked = rig.deployment.revoke(3);
    const changes: number[] = [];
    rig.client.trust.subscribe((c) => {
      if (c.cause === 'data' && c.artefact === 'revocations') changes.push(c.figures.revocationSeq ?? -1);
    });
    const result = await rig.client.syncNow();
    expect(result.ok).toBe(true);
    expect(rig.store.getBundle()?.bundle.version).toBe(1);
    expect(rig.store.revocationSeq()).toBe(1);
    for (const id of revoked) expect(rig.store.isRevoked(id)).toBe(true);
    expect(changes).toEqual([1]);
    const s = rig.client.status();
    expect(s).toMatchObject({
      online: true,
      lastSyncAt: T0_S,
      bundleVersion: 1,
      revocationSeq: 1,
      lastError: null,
      consecutiveFailures: 0,
    });
    expect(rig.client.dataAgeSeconds()).toBe(0);
    expect(rig.store.getState(STATE_KEYS.lastSyncAt)).toBe(String(T0_S));
  });

  it('asks conditionally: the next poll sends If-None-Match and applies nothing', async () => {
    rig = await makeRig();
    await rig.client.syncNow();
    const before = trustSnapshot(rig.store);
    rig.clock.advance(30_000);
    const second = await rig.client.syncNow();
    expect(second.bundle).toBe('not-modified');
    expect(second.revocations).toEqual(['not-modified']);
    const bundleGets = rig.api.requests.filter((r) => r.path === '/api/device/bundle');
    expect(bundleGets[0]!.headers['if-none-match']).toBeUndefined();
    expect(bundleGets[1]!.headers['if-none-match']).toMatch(/^".+"$/);
    // Nothing applied; only the signed freshness statement moved the data's date (and the clock floor) on.
    expect(trustSnapshot(rig.store)).toEqual({ ...before, floor: T0_S + 30 });
    expect(second.freshness).toMatchObject({ kind: 'applied', issuedAt: T0_S + 30 });
    expect(rig.client.status()).toMatchObject({ lastSyncAt: T0_S + 30, trustDataAt: T0_S + 30 });
  });

  it('turns a revoked pass red on the next poll', async () => {
    rig = await makeRig();
    await rig.client.syncNow();
    const pass = rig.deployment.pass({ colour: 'green' });
    expect(verdictOf(rig, pass.text)).toBe('green/OK');
    rig.deployment.revoke([pass.revocationId]);
    rig.clock.advance(30_000);
    await rig.client.syncNow();
    expect(verdictOf(rig, pass.text)).toBe('red/REVOKED');
    const revocationGets = rig.api.requests.filter((r) => r.path.startsWith('/api/device/revocations'));
    expect(revocationGets.map((r) => r.path)).toEqual([
      '/api/device/revocations?since=0&partitions=1&pages=1',
      '/api/device/revocations?since=0&partitions=1&pages=1',
    ]);
  });

  it('applies a new bundle version and raises the clock floor from the signed issue time, never lowering it', async () => {
    rig = await makeRig();
    await rig.client.syncNow();
    expect(rig.store.clockFloor()).toBe(T0_S);
    rig.clock.advance(3_600_000);
    rig.deployment.publishBundle();
    rig.deployment.revoke(1);
    await rig.client.syncNow();
    expect(rig.store.getBundle()?.bundle.version).toBe(2);
    expect(rig.store.clockFloor()).toBe(T0_S + 3600);
    // Someone sets the local clock back: the floor stays where the signed data put it.
    rig.clock.set((T0_S - 86_400) * 1000);
    await rig.client.syncNow();
    expect(rig.store.clockFloor()).toBe(T0_S + 3600);
  });

  it('reports the drift between the server clock and ours, and never changes our clock', async () => {
    rig = await makeRig();
    rig.api.serverOffsetSeconds = 125;
    await rig.client.syncNow();
    expect(rig.client.status().clockDriftSeconds).toBeCloseTo(125, 0);
    expect(rig.clock.now()).toBe(T0_S * 1000);
    const hb = rig.api.heartbeats[0]!;
    expect(hb).toMatchObject({ versions: { bundle: 1 }, seq: 0, clock: T0_S, trustDataAt: T0_S });
    expect(hb['counters']).toEqual(expect.any(Object));
  });

  it('falls back to the Date header for drift when the heartbeat gives no server time', async () => {
    rig = await makeRig();
    rig.api.serverOffsetSeconds = -40;
    rig.api.fault(/heartbeat/, { kind: 'status', status: 200 }); // a 200 whose body has no serverTime
    await rig.client.syncNow();
    const drift = rig.client.status().clockDriftSeconds!;
    expect(drift).toBeGreaterThanOrEqual(-41);
    expect(drift).toBeLessThanOrEqual(-39);
  });

  it('shows offline with UNAUTHORIZED when the device is revoked (401), and keeps its data', async () => {
    rig = await makeRig();
    await rig.client.syncNow();
    const held = trustSnapshot(rig.store);
    rig.api.revoked = true;
    rig.clock.advance(30_000);
    const r = await rig.client.syncNow();
    expect(r.error?.code).toBe('UNAUTHORIZED');
    expect(r.error?.status).toBe(401);
    expect(rig.client.status()).toMatchObject({ online: false, lastError: 'UNAUTHORIZED', lastSyncAt: T0_S });
    expect(trustSnapshot(rig.store)).toEqual(held);
    expect(rig.client.dataAgeSeconds()).toBe(30);
  });

  it('feeds every state change to listeners (the status page seam)', async () => {
    rig = await makeRig();
    const seen: SyncState[] = [];
    rig.client.subscribe({ syncState: (s) => seen.push(s) });
    await rig.client.syncNow();
    expect(seen.at(-1)).toMatchObject({
      online: true,
      bundleVersion: 1,
      sunset: T0_S + 365 * 86_400,
      maxOfflineAgeSeconds: 172_800,
    });
  });

  it('does nothing on the network before enrolment and says NOT_ENROLLED', async () => {
    rig = await makeRig({ enrolled: false });
    const r = await rig.client.syncNow();
    expect(r.error?.code).toBe('NOT_ENROLLED');
    expect(rig.api.requests).toHaveLength(0);
    expect(rig.client.status()).toMatchObject({ enrolled: false, online: false });
  });
});
