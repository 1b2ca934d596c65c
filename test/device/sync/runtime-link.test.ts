import { afterEach, describe, expect, it } from 'vitest';
import { TrustKeeper } from '../../../device/trust.js';
import { linkToRuntime } from '../../../device/sync/runtime-link.js';
import { silentLog } from '../helpers/log.js';
import { makeRig } from './helpers/setup.js';
import type { Rig } from './helpers/setup.js';
import { tamper } from './helpers/deployment.js';

let rig: Rig;
afterEach(() => rig.close());

function recordingSeam(): { calls: string[]; seam: Parameters<typeof linkToRuntime>[1] } {
  const calls: string[] = [];
  return {
    calls,
    seam: {
      trustChanged: () => calls.push('trustChanged'),
      reportSync: (r) => calls.push(`report:${r.ok ? 'ok' : 'fail'}:${r.error ?? '-'}`),
    },
  };
}

describe('link to the runtime seam', () => {
  it('tells the runtime about new data and about changes of online/offline, not about every quiet poll', async () => {
    rig = await makeRig();
    const { calls, seam } = recordingSeam();
    const unlink = linkToRuntime(rig.client, seam);
    await rig.client.syncNow();
    expect(calls).toEqual(['trustChanged', 'report:ok:-']);
    rig.clock.advance(30_000);
    await rig.client.syncNow();
    rig.clock.advance(30_000);
    await rig.client.syncNow();
    expect(calls).toHaveLength(2); // quiet polls: nothing to tell
    rig.deployment.revoke(1);
    rig.clock.advance(30_000);
    await rig.client.syncNow();
    expect(calls.slice(2)).toEqual(['trustChanged']);
    rig.api.fault(/bundle/, { kind: 'network' }, 2);
    await rig.client.syncNow();
    rig.api.fault(/bundle/, { kind: 'body', bytes: tamper(rig.deployment.publishBundle()) });
    await rig.client.syncNow();
    await rig.client.syncNow();
    expect(calls.slice(3)).toEqual([
      'report:fail:NETWORK',
      'report:fail:REJECTED:BAD_SIGNATURE',
      'trustChanged',
      'report:ok:-',
    ]);
    unlink();
    rig.api.revoked = true;
    await rig.client.syncNow();
    expect(calls).toHaveLength(7);
  });

  it('still reports a good sync every eighth of the maximum offline age, so the data age stays current', async () => {
    rig = await makeRig();
    const { calls, seam } = recordingSeam();
    linkToRuntime(rig.client, seam);
    await rig.client.syncNow();
    const eighth = (48 * 3600) / 8;
    for (let t = 0; t < 4 * eighth; t += 1800) {
      rig.clock.advance(1_800_000);
      await rig.client.syncNow();
    }
    expect(calls.filter((c) => c === 'report:ok:-')).toHaveLength(5);
  });

  it('keeps the runtime TrustKeeper fresh over days of quiet polls, so verdicts never go stale while online', async () => {
    rig = await makeRig();
    let changes = 0;
    const keeper = new TrustKeeper(rig.store, rig.clock, silentLog(), null, () => (changes += 1));
    linkToRuntime(rig.client, keeper);
    await rig.client.syncNow();
    expect(keeper.state().bundle?.version).toBe(1);
    const maxAge = keeper.state().bundle!.policy.maxOfflineAgeSeconds;
    for (let t = 0; t < 3 * maxAge; t += 900) {
      rig.clock.advance(900_000);
      await rig.client.syncNow();
      const now = Math.floor(rig.clock.now() / 1000);
      expect(now - keeper.state().trustDataAt!).toBeLessThanOrEqual(maxAge / 8 + 900);
    }
    expect(changes).toBeLessThan(3 * 8 + 4); // a re-read per eighth of the age, not one per poll
  });
});
