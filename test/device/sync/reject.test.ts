// Every bad artefact is refused before the store sees it: trust data, sequence, revocations and clock floor stay
// exactly as they were, the reason is counted as sync_reject:REASON, and the data age keeps counting.
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey, signRevocations } from '../../../protocol/index.js';
import { makeRig, trustSnapshot } from './helpers/setup.js';
import type { Rig } from './helpers/setup.js';
import { T0_S, tamper } from '../../support/deployment.js';
import type { Deployment } from '../../support/deployment.js';

let rig: Rig;
afterEach(() => rig.close());

/** A rig that holds bundle v2 and revocation sequence 2. */
async function primed(): Promise<Rig> {
  const r = await makeRig();
  r.deployment.revoke(2);
  await r.client.syncNow();
  r.deployment.publishBundle();
  r.deployment.revoke(2);
  r.clock.advance(60_000);
  await r.client.syncNow();
  expect(r.store.getBundle()?.bundle.version).toBe(2);
  expect(r.store.revocationSeq()).toBe(2);
  r.clock.advance(60_000);
  return r;
}

type Case = [title: string, path: RegExp, bytes: (d: Deployment) => Uint8Array, reason: string];

const cases: Case[] = [
  ['a bundle with a flipped signature byte', /bundle/, (d) => tamper(d.publishBundle()), 'BAD_SIGNATURE'],
  [
    'a bundle signed by another root',
    /bundle/,
    (d) => d.bundleOfVersion(9, generateSigningKey('mallory')),
    'UNKNOWN_KEY',
  ],
  ['an older bundle version replayed', /bundle/, (d) => d.bundleOfVersion(1), 'VERSION_ROLLBACK'],
  [
    'another bundle with the held version',
    /bundle/,
    (d) => d.bundleOfVersion(2, d.root, { issuedAt: T0_S + 7 }),
    'VERSION_ROLLBACK',
  ],
  ['a truncated bundle', /bundle/, (d) => d.publishBundle().subarray(0, 40), 'MALFORMED'],
  ['random bytes as a bundle', /bundle/, () => new Uint8Array(300).fill(0xa5), 'MALFORMED'],
  [
    'revocations with a flipped signature byte',
    /revocations/,
    (d) => (d.revoke(1), tamper(d.delta(2))),
    'BAD_SIGNATURE',
  ],
  ['an older revocation sequence replayed', /revocations/, (d) => d.delta(0, 1), 'VERSION_ROLLBACK'],
  ['an older snapshot replayed', /revocations/, (d) => d.snapshot(1), 'VERSION_ROLLBACK'],
  ['a delta that skips a step', /revocations/, (d) => (d.revoke(1), d.revoke(1), d.delta(3)), 'SEQUENCE_GAP'],
  [
    'revocations signed by a key the bundle does not name',
    /revocations/,
    (d) => (
      d.revoke(1),
      signRevocations(
        { kind: 'delta', logId: d.logId, fromSeq: 2, toSeq: 3, issuedAt: T0_S, added: [], removed: [] },
        generateSigningKey('x'),
      )
    ),
    'UNKNOWN_KEY',
  ],
  ['truncated revocations', /revocations/, (d) => (d.revoke(5), d.delta(2).subarray(0, 60)), 'MALFORMED'],
];

describe('rejected artefacts leave the store unchanged', () => {
  it.each(cases)('%s → %s', async (_title, path, make, reason) => {
    rig = await primed();
    const pass = rig.deployment.pass({ colour: 'green' });
    const before = trustSnapshot(rig.store);
    const lastSyncAt = rig.client.status().lastSyncAt;
    rig.api.fault(path, { kind: 'body', bytes: make(rig.deployment) });
    const result = await rig.client.syncNow();
    expect(result.ok).toBe(false);
    // Only a genuine freshness statement naming the data held may raise the floor (to its signed issue time).
    const fresh = result.freshness?.kind === 'applied' ? result.freshness.issuedAt : before.floor;
    expect(trustSnapshot(rig.store)).toEqual({ ...before, floor: Math.max(before.floor, fresh) });
    expect(rig.store.isRevoked(pass.revocationId)).toBe(false);
    expect(rig.store.counters()[`sync_reject:${reason}`]).toBe(1);
    const s = rig.client.status();
    expect(s.lastError).toBe(`REJECTED:${reason}`);
    expect(s.lastSyncAt).toBe(lastSyncAt); // the data age keeps counting
    expect(s.online).toBe(true); // the server answered; what it sent was refused
    expect(s.consecutiveFailures).toBe(1);
  });

  it('treats an authentic re-sent last step as "nothing new", not as an attack', async () => {
    rig = await primed();
    rig.api.fault(/revocations/, { kind: 'body', bytes: rig.deployment.delta(1, 2) });
    const result = await rig.client.syncNow();
    expect(result.ok).toBe(true);
    expect(result.revocations).toEqual([{ kind: 'unchanged', artefact: 'revocations' }]);
    expect(Object.keys(rig.store.counters()).filter((k) => k.startsWith('sync_reject:'))).toEqual([]);
  });

  it('treats the held bundle sent again in full as unchanged', async () => {
    rig = await primed();
    rig.api.fault(/bundle/, { kind: 'body', bytes: rig.deployment.currentBytes });
    const result = await rig.client.syncNow();
    expect(result.bundle).toEqual({ kind: 'unchanged', artefact: 'bundle' });
    expect(result.ok).toBe(true);
  });

  it('still applies good revocations in the cycle whose bundle was refused', async () => {
    rig = await primed();
    const ids = rig.deployment.revoke(2);
    rig.api.fault(/bundle/, { kind: 'body', bytes: tamper(rig.deployment.currentBytes) });
    await rig.client.syncNow();
    expect(rig.store.revocationSeq()).toBe(3);
    for (const id of ids) expect(rig.store.isRevoked(id)).toBe(true);
    expect(rig.store.getBundle()?.bundle.version).toBe(2);
  });

  it('refuses a bundle over the protocol limit (64 KiB) whatever the download limit', async () => {
    rig = await makeRig();
    rig.api.fault(/bundle/, { kind: 'body', bytes: new Uint8Array(64 * 1024 + 1) });
    expect((await rig.client.syncNow()).error?.code).toBe('BAD_RESPONSE');
    expect(rig.store.getBundle()).toBeNull();
  });

  it('refuses an oversized download without reading it all', async () => {
    rig = await makeRig({ options: { maxDownloadBytes: 2048 } });
    rig.api.fault(/bundle/, { kind: 'body', bytes: new Uint8Array(5000) });
    const r = await rig.client.syncNow();
    expect(r.error?.code).toBe('BAD_RESPONSE');
    expect(rig.store.getBundle()).toBeNull();
  });
});
