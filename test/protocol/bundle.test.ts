import { describe, expect, it } from 'vitest';
import {
  encodePublicKey,
  isProtocolError,
  issuePass,
  signBundle,
  signRevocations,
  verifyBundle,
  verifyPass,
  verifyRevocations,
} from '../../protocol/index.js';
import type { RevocationDelta, TrustBundle } from '../../protocol/index.js';
import { TEST_LOG_ID, testKey } from '../vectors/fixed-keys.js';
import { DAY, mainBundle, T0_S } from '../vectors/pass-vectors.js';

const root = testKey('root');

function reasonOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (err) {
    return isProtocolError(err) ? err.code : `other: ${String(err)}`;
  }
}

describe('trust bundle', () => {
  it('round-trips: what is signed is what a device reads', () => {
    const b = mainBundle();
    expect(verifyBundle(signBundle(b, root), root.publicKey)).toEqual(b);
  });

  it('refuses to sign a bundle a device would refuse', () => {
    const b = mainBundle();
    const first = b.issuers[0]!;
    const bad = (over: Partial<TrustBundle>): string => reasonOf(() => signBundle({ ...b, ...over }, root));
    expect(bad({ sunset: b.issuedAt })).toBe('BAD_CLAIMS');
    expect(bad({ version: 0 })).toBe('BAD_CLAIMS');
    expect(bad({ issuers: [{ ...first, kid: '0000000000000000' }] })).toBe('BAD_CLAIMS');
    expect(bad({ issuers: [first, first] })).toBe('BAD_CLAIMS');
    expect(bad({ issuers: [{ ...first, validUntil: first.validFrom }] })).toBe('BAD_CLAIMS');
    expect(bad({ issuers: [{ ...first, publicKey: 'short' }] })).toBe('BAD_CLAIMS');
    expect(
      bad({ policy: { actions: { green: 'open', yellow: 'maybe' as 'open', red: 'deny' }, maxOfflineAgeSeconds: 60 } }),
    ).toBe('BAD_CLAIMS');
    expect(bad({ policy: { actions: b.policy.actions, maxOfflineAgeSeconds: 0 } })).toBe('BAD_CLAIMS');
  });

  it('a bundle with a new issuer key makes its passes verify; the old bundle does not', () => {
    const fresh = testKey('stranger');
    const next: TrustBundle = {
      ...mainBundle(),
      version: 8,
      issuers: [
        ...mainBundle().issuers,
        {
          kid: fresh.kid,
          issuer: fresh.issuer,
          publicKey: encodePublicKey(fresh.publicKey),
          validFrom: T0_S - DAY,
          validUntil: T0_S + DAY,
          status: 'active',
        },
      ],
    };
    const bytes = signBundle(next, root);
    const held = verifyBundle(bytes, root.publicKey, { minVersion: 7 });
    const { text } = issuePass(
      { colour: 'green', notBefore: T0_S, expiresAt: T0_S + DAY, issuedAt: T0_S, scope: 'all' },
      fresh,
    );
    expect(verifyPass(text, { bundle: held, now: T0_S }).issuer).toBe('acme-events');
    expect(
      reasonOf(() =>
        verifyPass(text, { bundle: verifyBundle(signBundle(mainBundle(), root), root.publicKey), now: T0_S }),
      ),
    ).toBe('UNKNOWN_KEY');
    expect(reasonOf(() => verifyBundle(bytes, root.publicKey, { minVersion: 8 }))).toBe('VERSION_ROLLBACK');
  });
});

describe('revocation lists', () => {
  const bundle = verifyBundle(signBundle(mainBundle(), root), root.publicKey);
  const d: RevocationDelta = {
    kind: 'delta',
    logId: TEST_LOG_ID,
    fromSeq: 0,
    toSeq: 1,
    issuedAt: T0_S,
    added: [{ revocationId: 'cd'.repeat(16), expiresAt: T0_S + DAY }],
    removed: [],
  };

  it('round-trips deltas and snapshots', () => {
    expect(
      verifyRevocations(signRevocations(d, root), { rootPublicKey: root.publicKey, bundle, currentSeq: 0 }),
    ).toEqual(d);
    const snap: RevocationDelta = { ...d, kind: 'snapshot', toSeq: 9 };
    expect(
      verifyRevocations(signRevocations(snap, root), { rootPublicKey: root.publicKey, bundle, currentSeq: 4 }),
    ).toEqual(snap);
  });

  it('refuses to sign lists a device would refuse', () => {
    const bad = (over: Partial<RevocationDelta>): string => reasonOf(() => signRevocations({ ...d, ...over }, root));
    expect(bad({ toSeq: 0 })).toBe('BAD_CLAIMS');
    expect(bad({ added: [{ revocationId: 'xyz', expiresAt: 1 }] })).toBe('BAD_CLAIMS');
    expect(bad({ added: [...d.added, ...d.added] })).toBe('BAD_CLAIMS');
    expect(bad({ removed: ['cd'.repeat(16)] })).toBe('BAD_CLAIMS');
    expect(bad({ kind: 'snapshot', fromSeq: 3 })).toBe('BAD_CLAIMS');
    expect(bad({ kind: 'snapshot', removed: ['ef'.repeat(16)] })).toBe('BAD_CLAIMS');
  });

  it('a snapshot far ahead is accepted where a delta would be a gap', () => {
    const ahead: RevocationDelta = { ...d, fromSeq: 50, toSeq: 51 };
    expect(
      reasonOf(() =>
        verifyRevocations(signRevocations(ahead, root), { rootPublicKey: root.publicKey, bundle, currentSeq: 2 }),
      ),
    ).toBe('SEQUENCE_GAP');
    const snap: RevocationDelta = { ...d, kind: 'snapshot', fromSeq: 0, toSeq: 51 };
    expect(
      reasonOf(() =>
        verifyRevocations(signRevocations(snap, root), { rootPublicKey: root.publicKey, bundle, currentSeq: 2 }),
      ),
    ).toBe('OK');
  });
});
