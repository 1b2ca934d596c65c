// The sync client writes trust data only through the TrustKeeper: the keeper's listeners (the runtime) hear of new
// data and of online/offline changes as they happen, not of every quiet poll, and nobody re-reads the store.
import { afterEach, describe, expect, it } from 'vitest';
import type { TrustChange } from '../../../device/trust/keeper.js';
import { makeRig } from './helpers/setup.js';
import type { Rig } from './helpers/setup.js';
import { tamper } from '../../support/deployment.js';

let rig: Rig;
afterEach(() => rig.close());

function describeChange(c: TrustChange): string {
  if (c.cause === 'data') return `data:${c.artefact}`;
  if (c.cause === 'sync') return `sync:${c.sync.online ? 'online' : 'offline'}:${c.sync.lastError ?? '-'}`;
  return 'sunset';
}

function record(r: Rig): string[] {
  const calls: string[] = [];
  r.client.trust.subscribe((c) => calls.push(describeChange(c)));
  return calls;
}

describe('sync client → trust keeper', () => {
  it('tells listeners about new data and about changes of online/offline, not about every quiet poll', async () => {
    rig = await makeRig();
    const calls = record(rig);
    await rig.client.syncNow();
    expect(calls).toEqual(['data:bundle', 'data:freshness', 'sync:online:-']);
    const quiet = calls.length;
    await rig.client.syncNow(); // same second: the statement dates nothing new
    expect(calls).toHaveLength(quiet);
    rig.deployment.revoke(1);
    rig.clock.advance(30_000);
    await rig.client.syncNow();
    expect(calls.slice(quiet)).toEqual(['data:revocations', 'data:freshness']);
    const beforeFaults = calls.length;
    rig.api.fault(/bundle/, { kind: 'network' }, 2);
    await rig.client.syncNow();
    rig.api.fault(/bundle/, { kind: 'body', bytes: tamper(rig.deployment.publishBundle()) });
    await rig.client.syncNow();
    await rig.client.syncNow();
    expect(calls.slice(beforeFaults).filter((c) => c !== 'data:freshness')).toEqual([
      'sync:offline:NETWORK',
      'sync:online:REJECTED:BAD_SIGNATURE',
      'data:bundle',
      'sync:online:-',
    ]);
  });

  it('keeps the keeper current over days of polls: the data age is never older than one poll', async () => {
    rig = await makeRig();
    await rig.client.syncNow();
    const keeper = rig.client.trust;
    expect(keeper.state().bundle?.version).toBe(1);
    const maxAge = keeper.state().bundle!.policy.maxOfflineAgeSeconds;
    for (let t = 0; t < 3 * maxAge; t += 900) {
      rig.clock.advance(900_000);
      await rig.client.syncNow();
      const now = Math.floor(rig.clock.now() / 1000);
      expect(now - keeper.state().trustDataAt!).toBeLessThanOrEqual(900);
      expect(keeper.syncState()).toMatchObject({ online: true, trustDataAt: keeper.state().trustDataAt });
    }
  });
});
