import { afterEach, describe, expect, it } from 'vitest';
import { encodePublicKey, generateSigningKey, rootFingerprint } from '../../../protocol/index.js';
import { STATE_KEYS } from '../../../device/store/index.js';
import { enrol } from '../../../device/sync/enrolment.js';
import { readEnrolment } from '../../../device/trust/enrolment.js';
import { SyncError } from '../../../device/sync/errors.js';
import { enrolUri, makeRig } from './helpers/setup.js';
import type { Rig } from './helpers/setup.js';

let rig: Rig;
afterEach(() => rig.close());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SyncError);
    return (err as SyncError).code;
  }
  throw new Error('expected a SyncError');
}

describe('enrolment', () => {
  it('pins the root key whose fingerprint the code carries and stores id, token and server', async () => {
    rig = await makeRig({ enrolled: false });
    const e = await enrol({
      store: rig.store,
      uri: enrolUri(rig.deployment),
      fetch: rig.api.fetch,
      clock: rig.clock,
      name: 'north gate',
    });
    expect(e.fingerprint).toBe(rootFingerprint(rig.deployment.root.publicKey));
    const held = readEnrolment(rig.store);
    expect(held?.deviceId).toBe('0011223344556677');
    expect(Buffer.from(held!.rootPublicKey).equals(Buffer.from(rig.deployment.root.publicKey))).toBe(true);
    expect(held?.serverUrl).toBe('http://gatecode.test:8470');
    expect(rig.api.requests.map((r) => r.path)).toEqual(['/api/device/root', '/api/device/enrol']);
    expect(JSON.parse(rig.api.requests[1]!.body!)).toEqual({ code: 'ABCD-EFGH-JKMN', name: 'north gate' });
  });

  it('refuses a root key that does not match the fingerprint and stores nothing', async () => {
    rig = await makeRig({ enrolled: false });
    rig.api.rootPublicKeyOverride = encodePublicKey(generateSigningKey('mallory').publicKey);
    expect(
      await codeOf(enrol({ store: rig.store, uri: enrolUri(rig.deployment), fetch: rig.api.fetch, clock: rig.clock })),
    ).toBe('FINGERPRINT_MISMATCH');
    expect(readEnrolment(rig.store)).toBeNull();
    expect(rig.store.getState(STATE_KEYS.deviceToken)).toBeNull();
    // Checked before the code was sent: the one-time code is not spent on the wrong server.
    expect(rig.api.requests.map((r) => r.path)).toEqual(['/api/device/root']);
  });

  it('refuses an answer whose root key does not decode', async () => {
    rig = await makeRig({ enrolled: false });
    rig.api.rootPublicKeyOverride = 'not-a-key';
    expect(
      await codeOf(enrol({ store: rig.store, uri: enrolUri(rig.deployment), fetch: rig.api.fetch, clock: rig.clock })),
    ).toBe('BAD_RESPONSE');
    expect(readEnrolment(rig.store)).toBeNull();
  });

  it('is write-once: a second enrolment needs reenrol, and a used code is refused', async () => {
    rig = await makeRig();
    const first = readEnrolment(rig.store);
    rig.api.enrolCodes.add('WXYZ-WXYZ-WXYZ');
    const again = enrol({
      store: rig.store,
      uri: enrolUri(rig.deployment, 'WXYZ-WXYZ-WXYZ'),
      fetch: rig.api.fetch,
      clock: rig.clock,
    });
    expect(await codeOf(again)).toBe('ALREADY_ENROLLED');
    expect(rig.api.count(/enrol/)).toBe(1); // the refused attempt never reached the server
    expect(readEnrolment(rig.store)).toEqual(first);
    // The first code was used up by makeRig: reusing it is refused by the server.
    const reuse = enrol({
      store: rig.store,
      uri: enrolUri(rig.deployment),
      fetch: rig.api.fetch,
      clock: rig.clock,
      reenrol: true,
    });
    expect(await codeOf(reuse)).toBe('ENROL_REFUSED');
    expect(readEnrolment(rig.store)).toEqual(first);
    await enrol({
      store: rig.store,
      uri: enrolUri(rig.deployment, 'WXYZ-WXYZ-WXYZ'),
      fetch: rig.api.fetch,
      clock: rig.clock,
      reenrol: true,
    });
    expect(readEnrolment(rig.store)?.deviceId).toBe('0011223344556677');
  });

  it('never re-enrols under another root while trust data signed by the pinned one is held', async () => {
    rig = await makeRig();
    await rig.client.syncNow();
    expect(rig.store.getBundle()).not.toBeNull();
    const other = generateSigningKey('other-root');
    const uri = `gatecode-enrol:?u=${encodeURIComponent('http://gatecode.test:8470')}&c=QQQQ-QQQQ-QQQQ&fp=${rootFingerprint(other.publicKey)}`;
    expect(await codeOf(enrol({ store: rig.store, uri, fetch: rig.api.fetch, clock: rig.clock, reenrol: true }))).toBe(
      'ALREADY_ENROLLED',
    );
  });

  it('reports an unreachable server as NETWORK and a bad URI before any request', async () => {
    rig = await makeRig({ enrolled: false });
    const uri = enrolUri(rig.deployment, 'ABCD-EFGH-JKMN', 'http://elsewhere.test');
    expect(await codeOf(enrol({ store: rig.store, uri, fetch: rig.api.fetch, clock: rig.clock }))).toBe('NETWORK');
    expect(
      await codeOf(enrol({ store: rig.store, uri: 'gatecode-enrol:?c=x', fetch: rig.api.fetch, clock: rig.clock })),
    ).toBe('BAD_ENROL_URI');
  });
});
