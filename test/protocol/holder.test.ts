// Holder-bound passes beyond the vectors: the wallet page's own proof code (WebCrypto, run here in Node) makes codes
// the verifier accepts, its base45 is the protocol's, a bound pass is capped so its shown code fits QR version 13 at
// ECC M, a malformed holder key claim is BAD_CLAIMS, and inspection shows the proof without trusting it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encode } from 'uqr';
import {
  encodePublicKey,
  evaluatePass,
  generateSigningKey,
  inspectPass,
  issuePass,
  signBundle,
  verifyBundle,
  MAX_BOUND_PASS_CHARS,
  type TrustBundle,
} from '../../protocol/index.js';
import { base45Encode } from '../../protocol/internal/base45.js';
import { CLAIM } from '../../protocol/pass/claims.js';
import { base45, holderCode, newHolderKey, stepAt } from '../../sync-server/wallet/proof.js';
import { claimsMap, craftPass, encodeMap } from '../vectors/craft.js';

const now = 1_800_000_000;
const root = generateSigningKey('root');
const issuer = generateSigningKey('acme');
const bundle: TrustBundle = verifyBundle(
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
          status: 'active',
        },
      ],
      revocationKeys: [],
    },
    root,
  ),
  root.publicKey,
);
const terms = { colour: 'green' as const, issuedAt: now - 60, notBefore: now - 60, expiresAt: now + 3600 };

describe('the wallet page proof code (sync-server/wallet/proof.js) against the verifier', () => {
  it('a code from a non-extractable WebCrypto key verifies; 2 minutes later it is PROOF_STALE', async () => {
    const key = await newHolderKey();
    expect(key.privateKey.extractable).toBe(false);
    const { text, claims } = issuePass({ ...terms, scope: 'all', holderKey: key.publicKey }, issuer);
    const code = await holderCode(text, claims.passId, key.privateKey, now * 1000);
    expect(stepAt(now * 1000)).toBe(now / 5);
    expect(evaluatePass(code, { bundle, now }).reason).toBe('OK');
    expect(evaluatePass(code, { bundle, now: now + 120 }).reason).toBe('PROOF_STALE');
    expect(evaluatePass(text, { bundle, now }).reason).toBe('PROOF_MISSING');
    expect(inspectPass(code)).toMatchObject({
      prefix: 'GH1:',
      holderProof: { passTag: claims.passId.slice(0, 8), step: now / 5 },
      claims: { holderKey: key.publicKey },
    });
  });

  it('its base45 is the protocol base45', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(base45(bytes)).toBe(base45Encode(bytes));
      }),
    );
  });
});

describe('holder key claim and size', () => {
  it('refuses a bound pass whose shown code would not fit QR version 13 at ECC M', () => {
    const holderKey = encodePublicKey(generateSigningKey('h').publicKey);
    const sites = (n: number) => Array.from({ length: n }, (_, i) => `gate-hall-${String(i).padStart(2, '0')}`);
    let largest = 0;
    for (let n = 1; n <= 8; n++) {
      try {
        const { text } = issuePass({ ...terms, scope: sites(n), holderKey }, issuer);
        largest = n;
        expect(text.length).toBeLessThanOrEqual(MAX_BOUND_PASS_CHARS);
        const shown = 'GH1:' + 'A'.repeat(108) + text;
        expect(encode(shown, { ecc: 'M', boostEcc: false }).version).toBeLessThanOrEqual(13);
      } catch (err) {
        expect((err as { code: string }).code).toBe('TOO_LARGE');
      }
    }
    expect(largest).toBe(2); // two sites of 12 characters (an unbound pass takes six); see docs/protocol.md
    expect(() => issuePass({ ...terms, scope: 'all', holderKey: 'not-a-key' }, issuer)).toThrow(/holderKey/);
  });

  it('input that is not a string is MALFORMED, not a crash', () => {
    expect(evaluatePass(42 as unknown as string, { bundle, now }).reason).toBe('MALFORMED');
  });

  it('a holder key claim that is not 32 bytes is BAD_CLAIMS', () => {
    const m = claimsMap({
      issuer: 'acme',
      passId: 'ab'.repeat(16),
      revocationId: 'cd'.repeat(16),
      ...terms,
      scope: 'all',
    });
    m.set(CLAIM.holder, new Uint8Array(31));
    const text = craftPass({ key: issuer, payload: encodeMap(m) });
    expect(evaluatePass(text, { bundle, now }).reason).toBe('BAD_CLAIMS');
  });
});
