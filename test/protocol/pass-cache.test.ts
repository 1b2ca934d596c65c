// The gate's memory of checked pass signatures (protocol/pass/cache.ts): a repeated showing of the same pass skips
// the issuer signature only; a pass one character off is a miss and fails on its own; revocation, validity window,
// scope and the holder proof are checked on every showing; a new bundle empties the cache.
import { describe, expect, it } from 'vitest';
import {
  encodePublicKey,
  generateSigningKey,
  issuePass,
  signBundle,
  verifyBundle,
  VerifiedPassCache,
  type TrustBundle,
  type VerifyContext,
} from '../../protocol/index.js';
import { checkPass, nodeSignatureCheck, type SignatureCheck } from '../../protocol/pass/verify.js';
import { presentHolderPass } from '../../protocol/holder/proof.js';
import { isProtocolError } from '../../protocol/errors.js';

const now = 1_800_000_000;
const root = generateSigningKey('root');
const issuer = generateSigningKey('acme');

function makeBundle(status: 'active' | 'revoked' = 'active'): TrustBundle {
  return verifyBundle(
    signBundle(
      {
        version: 1,
        issuedAt: now - 60,
        sunset: now + 86_400 * 30,
        policy: { actions: { green: 'open', yellow: 'attention', red: 'deny' }, maxOfflineAgeSeconds: 86_400 },
        issuers: [
          {
            kid: issuer.kid,
            issuer: 'acme',
            publicKey: encodePublicKey(issuer.publicKey),
            validFrom: now - 86_400,
            validUntil: now + 86_400,
            status,
          },
        ],
        revocationKeys: [],
      },
      root,
    ),
    root.publicKey,
  );
}

const bundle = makeBundle();
const holder = generateSigningKey('holder');
const { text: passText, claims } = issuePass(
  {
    colour: 'green',
    issuedAt: now - 60,
    notBefore: now - 60,
    expiresAt: now + 3600,
    scope: ['north'],
    holderKey: encodePublicKey(holder.publicKey),
  },
  issuer,
);
const showAt = (t: number): string => presentHolderPass(passText, claims.passId, t, holder.privateKey);

/** A signature check that counts its calls: the issuer's signature is checked only on a miss. */
function counting(): { check: SignatureCheck; calls: () => number } {
  let n = 0;
  return {
    check: (m, s, k) => {
      n++;
      return nodeSignatureCheck(m, s, k);
    },
    calls: () => n,
  };
}

function reason(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (err) {
    if (isProtocolError(err)) return err.code;
    throw err;
  }
}

describe('VerifiedPassCache', () => {
  it('a new proof for a remembered pass checks only the proof; the issuer signature is checked once', () => {
    const cache = new VerifiedPassCache();
    const ctx: VerifyContext = { bundle, now, site: 'north', verifiedPasses: cache };
    const c = counting();
    for (let k = 0; k < 4; k++) expect(checkPass(showAt(now - 5 * k), ctx, c.check).proofStep).toBe(now / 5 - k);
    expect(c.calls()).toBe(1);
    expect([cache.hits, cache.misses, cache.size]).toEqual([3, 1, 1]);
    // Without the cache every showing checks the issuer signature.
    const cold = counting();
    for (let k = 0; k < 4; k++) checkPass(showAt(now - 5 * k), { bundle, now, site: 'north' }, cold.check);
    expect(cold.calls()).toBe(4);
  });

  it('a pass one character off is a miss and is refused; the proof is checked on every hit', () => {
    const cache = new VerifiedPassCache();
    const ctx: VerifyContext = { bundle, now, site: 'north', verifiedPasses: cache };
    checkPass(showAt(now), ctx);
    const shown = showAt(now);
    const proofEnd = 4 + 108;
    let refused = 0;
    // Every position of the pass part, each changed to another base45 character: never OK, never a hit.
    for (let i = proofEnd + 4; i < shown.length; i += 7) {
      const ch = shown[i] === 'A' ? 'B' : 'A';
      const tampered = shown.slice(0, i) + ch + shown.slice(i + 1);
      const hitsBefore = cache.hits;
      expect(reason(() => checkPass(tampered, ctx))).not.toBe('OK');
      expect(cache.hits).toBe(hitsBefore);
      refused++;
    }
    expect(refused).toBeGreaterThan(20);
    // The pass remembered, its proof signed by another key: PROOF_WRONG_KEY.
    const thief = generateSigningKey('holder');
    const forged = presentHolderPass(passText, claims.passId, now, thief.privateKey);
    expect(reason(() => checkPass(forged, ctx))).toBe('PROOF_WRONG_KEY');
    expect(reason(() => checkPass(passText, ctx))).toBe('PROOF_MISSING');
  });

  it('a revoked, expired or out-of-scope pass is refused even when remembered', () => {
    const cache = new VerifiedPassCache();
    const revoked = new Set<string>();
    const ctx: VerifyContext = {
      bundle,
      now,
      site: 'north',
      isRevoked: (id) => revoked.has(id),
      verifiedPasses: cache,
    };
    expect(reason(() => checkPass(showAt(now), ctx))).toBe('OK');
    revoked.add(claims.revocationId);
    expect(reason(() => checkPass(showAt(now + 5), ctx))).toBe('REVOKED');
    expect(reason(() => checkPass(showAt(now + 5), { ...ctx, isRevoked: () => false, site: 'south' }))).toBe(
      'WRONG_SCOPE',
    );
    const later = now + 3600 + 400;
    expect(reason(() => checkPass(showAt(later), { ...ctx, isRevoked: () => false, now: later }))).toBe('EXPIRED');
    expect(cache.hits).toBeGreaterThanOrEqual(2);
  });

  it('a new bundle (a key revoked) empties it; clear() empties it; old entries are checked again', () => {
    const cache = new VerifiedPassCache({ maxAgeSeconds: 60, maxEntries: 2 });
    const ctx: VerifyContext = { bundle, now, site: 'north', verifiedPasses: cache };
    checkPass(showAt(now), ctx);
    expect(cache.size).toBe(1);
    const keyRevoked = makeBundle('revoked');
    expect(reason(() => checkPass(showAt(now), { ...ctx, bundle: keyRevoked }))).toBe('KEY_NOT_VALID');
    expect(cache.size).toBe(0);
    checkPass(showAt(now), ctx);
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
    const c = counting();
    checkPass(showAt(now), ctx, c.check);
    checkPass(showAt(now + 70), { ...ctx, now: now + 70 }, c.check); // older than 60 s: checked again
    expect(c.calls()).toBe(2);
    // Bounded: the least recently shown pass goes first.
    for (let i = 0; i < 3; i++)
      checkPass(
        issuePass({ colour: 'green', issuedAt: now, notBefore: now, expiresAt: now + 60, scope: 'all' }, issuer).text,
        ctx,
      );
    expect(cache.size).toBe(2);
  });
});
