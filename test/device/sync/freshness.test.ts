// The data's age counts only from signed data. A network path that answers 304 for ever (hiding new revocations)
// or replays old statements cannot keep a device fresh: after the policy's maxOfflineAgeSeconds its verdicts turn
// yellow (BUNDLE_STALE), while genuine freshness statements from the server keep it green.
import { afterEach, describe, expect, it } from 'vitest';
import { evaluatePass, generateSigningKey } from '../../../protocol/index.js';
import { TrustKeeper } from '../../../device/trust/keeper.js';
import { silentLog } from '../../support/log.js';
import { makeRig } from './helpers/setup.js';
import type { Rig } from './helpers/setup.js';
import { T0_S, tamper } from '../../support/deployment.js';

let rig: Rig;
afterEach(() => rig.close());

const HOUR = 3600;
const MAX_AGE = 48 * HOUR; // the deployment's policy

/** The verdict the runtime would reach: trust data as the device's TrustKeeper sees it, now on the test clock. */
function verdict(r: Rig, text: string): string {
  const keeper = new TrustKeeper(r.store, r.clock, silentLog(), null);
  const trust = keeper.state();
  const v = evaluatePass(text, {
    bundle: trust.bundle!,
    now: Math.floor(r.clock.now() / 1000),
    isRevoked: (id) => r.store.isRevoked(id),
    ...(trust.trustDataAt !== null ? { trustDataAt: trust.trustDataAt } : {}),
  });
  return `${v.colour}/${v.reason}`;
}

/** Poll every 6 h for `seconds`, letting `intercept` tamper with each cycle's answers first. */
async function pollFor(r: Rig, seconds: number, intercept: () => void = () => {}): Promise<void> {
  for (let t = 0; t < seconds; t += 6 * HOUR) {
    r.clock.advance(6 * HOUR * 1000);
    intercept();
    await r.client.syncNow();
  }
}

describe('signed data freshness', () => {
  it('a path that answers 304 for ever and withholds statements makes the device stale (yellow)', async () => {
    rig = await makeRig();
    await rig.client.syncNow();
    const pass = rig.deployment.pass({ colour: 'green' });
    const oldStatement = rig.deployment.freshness();
    rig.deployment.revoke([pass.revocationId]); // the revocation the path hides
    await pollFor(rig, MAX_AGE, () => {
      rig.api.fault(/^\/api\/device\/(bundle|revocations)/, { kind: 'status', status: 304 }, 2);
      rig.api.fault(/freshness/, { kind: 'body', bytes: oldStatement }); // an old genuine statement replayed
    });
    expect(rig.client.status()).toMatchObject({ online: true, trustDataAt: T0_S });
    expect(verdict(rig, pass.text)).toBe('green/OK'); // 48 h: not yet over the limit
    await pollFor(rig, 6 * HOUR, () => {
      rig.api.fault(/^\/api\/device\/(bundle|revocations)/, { kind: 'status', status: 304 }, 2);
      rig.api.fault(/freshness/, { kind: 'status', status: 304 });
    });
    expect(rig.client.status().lastError).toBe('BAD_RESPONSE'); // a statement is never conditional
    expect(verdict(rig, pass.text)).toBe('yellow/BUNDLE_STALE');
    expect(rig.store.isRevoked(pass.revocationId)).toBe(false);
  });

  it('genuine statements for data the device does not hold (revocations withheld) do not refresh it', async () => {
    rig = await makeRig();
    await rig.client.syncNow();
    const pass = rig.deployment.pass({ colour: 'green' });
    rig.deployment.revoke([pass.revocationId]);
    // The path passes the server's fresh statements through (they name sequence 1) but answers 304 for the list.
    await pollFor(rig, MAX_AGE + 6 * HOUR, () =>
      rig.api.fault(/^\/api\/device\/revocations/, { kind: 'status', status: 304 }),
    );
    expect(rig.store.revocationSeq()).toBe(0);
    expect(rig.client.status()).toMatchObject({ online: true, lastError: null, trustDataAt: T0_S });
    expect(verdict(rig, pass.text)).toBe('yellow/BUNDLE_STALE');
    // Once the list gets through, the same statements make the data fresh again and the pass is refused.
    rig.clock.advance(60_000);
    await rig.client.syncNow();
    expect(rig.client.status().trustDataAt).toBe(Math.floor(rig.clock.now() / 1000));
    expect(verdict(rig, pass.text)).toBe('red/REVOKED');
  });

  it('with genuine statements (and 304s, nothing having changed) the device stays fresh', async () => {
    rig = await makeRig();
    await rig.client.syncNow();
    const pass = rig.deployment.pass({ colour: 'green' });
    await pollFor(rig, MAX_AGE + 24 * HOUR);
    const last = rig.api.requests.filter((r) => r.path.startsWith('/api/device/bundle')).at(-1);
    expect(last?.headers['if-none-match']).toBeDefined(); // the bundle was answered 304 throughout
    const now = Math.floor(rig.clock.now() / 1000);
    expect(rig.client.status().trustDataAt).toBe(now);
    expect(rig.client.dataAgeSeconds()).toBe(0);
    expect(rig.store.clockFloor()).toBe(now);
    expect(verdict(rig, pass.text)).toBe('green/OK');
  });

  it('a restored server (another history at the same sequence) is never fresh data: its 304 and statement change nothing', async () => {
    rig = await makeRig();
    const [a, b, c] = [
      rig.deployment.pass({ colour: 'green' }),
      rig.deployment.pass({ colour: 'green' }),
      rig.deployment.pass({ colour: 'green' }),
    ];
    rig.deployment.revoke(1);
    rig.deployment.revoke([a.revocationId]);
    rig.deployment.revoke([b.revocationId]);
    await rig.client.syncNow();
    expect(rig.store.revocationSeq()).toBe(3);
    const before = rig.client.status().trustDataAt;
    // The server is restored from a backup taken at sequence 2, starts a new history and revokes C as "3".
    rig.deployment.logId = 'cc'.repeat(16);
    rig.deployment.steps.splice(2, 1, [{ revocationId: c.revocationId, expiresAt: T0_S + 30 * 86_400 }]);
    expect(rig.deployment.seq).toBe(3);
    // A path (or an old server) that answers 304 for `since=3`: the new history's statement for "3" is not ours.
    await pollFor(rig, MAX_AGE + 6 * HOUR, () =>
      rig.api.fault(/^\/api\/device\/revocations/, { kind: 'status', status: 304 }),
    );
    expect(rig.client.status().trustDataAt).toBe(before);
    expect(verdict(rig, c.text)).toBe('yellow/BUNDLE_STALE');
    // The honest answer to `since=3&log=<old>` is the new history's snapshot: taken whole, then fresh.
    rig.clock.advance(60_000);
    const r = await rig.client.syncNow();
    expect(r.revocations).toEqual([expect.objectContaining({ kind: 'applied', version: 3 })]);
    expect(rig.store.revocationInfo().logId).toBe('cc'.repeat(16));
    expect(rig.client.status().trustDataAt).toBe(Math.floor(rig.clock.now() / 1000));
    expect(verdict(rig, c.text)).toBe('red/REVOKED');
    expect(verdict(rig, a.text)).toBe('red/REVOKED');
  });

  type Bad = [title: string, make: (r: Rig) => Uint8Array, reason: string];
  const bad: Bad[] = [
    [
      'a statement for an older revocation sequence than held',
      (r) => r.deployment.freshness({ revocationSeq: 1 }),
      'VERSION_ROLLBACK',
    ],
    ['a tampered statement', (r) => tamper(r.deployment.freshness()), 'BAD_SIGNATURE'],
    [
      'a statement signed by another root',
      (r) => r.deployment.freshness({}, generateSigningKey('mallory')),
      'UNKNOWN_KEY',
    ],
    ['a revocation list in place of a statement', (r) => r.deployment.snapshot(), 'MALFORMED'],
  ];

  it.each(bad)('%s is rejected, counted and does not refresh the data', async (_title, make, reason) => {
    rig = await makeRig();
    rig.deployment.revoke(1);
    rig.deployment.revoke(1);
    await rig.client.syncNow();
    expect(rig.store.revocationSeq()).toBe(2);
    const before = rig.client.status().trustDataAt;
    const floor = rig.store.clockFloor();
    rig.clock.advance(HOUR * 1000);
    rig.api.fault(/freshness/, { kind: 'body', bytes: make(rig) });
    const result = await rig.client.syncNow();
    expect(result.freshness).toEqual({ kind: 'rejected', artefact: 'freshness', reason });
    expect(result.ok).toBe(false);
    expect(rig.store.counters()[`sync_reject:${reason}`]).toBe(1);
    expect(rig.client.status()).toMatchObject({ trustDataAt: before, lastError: `REJECTED:${reason}` });
    expect(rig.store.clockFloor()).toBe(floor);
  });
});
