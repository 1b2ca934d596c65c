// Issuing and inspecting passes: the rules that are not one vector each.
import { describe, expect, it } from 'vitest';
import {
  evaluatePass,
  inspectPass,
  isProtocolError,
  issuePass,
  MAX_PASS_CHARS,
  signBundle,
  verifyBundle,
  verifyPass,
} from '../../protocol/index.js';
import type { Scope, TrustBundle, VerifyContext } from '../../protocol/index.js';
import { base45Decode, base45Encode } from '../../protocol/internal/base45.js';
import { craftPass, claimsMap, encodeMap } from '../vectors/craft.js';
import { testKey } from '../vectors/fixed-keys.js';
import { DAY, mainBundle, SITE, T0_S } from '../vectors/pass-vectors.js';

const issuer = testKey('issuer');
const root = testKey('root');
const bundle = verifyBundle(signBundle(mainBundle(), root), root.publicKey);
const ctx: VerifyContext = { bundle, now: T0_S, site: SITE };
const base = {
  colour: 'green' as const,
  notBefore: T0_S - 60,
  expiresAt: T0_S + 30 * DAY,
  issuedAt: T0_S - 60,
  scope: 'all' as Scope,
};

function reasonOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (err) {
    return isProtocolError(err) ? err.code : `not a ProtocolError: ${String(err)}`;
  }
}

describe('issuePass', () => {
  it('makes GC1: base45 text that verifies, with fresh random 128-bit ids', () => {
    const a = issuePass(base, issuer);
    const b = issuePass(base, issuer);
    expect(a.text).toMatch(/^GC1:[0-9A-Z $%*+\-./:]+$/);
    expect(verifyPass(a.text, ctx)).toEqual(a.claims);
    expect(a.claims.passId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.claims.revocationId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.claims.passId).not.toBe(b.claims.passId);
    expect(a.claims.revocationId).not.toBe(a.claims.passId);
    expect(a.claims.issuer).toBe('acme-events');
  });

  it('puts neither the pass id nor the revocation id in the other', () => {
    const { text, claims } = issuePass(base, issuer);
    const bytes = Buffer.from(base45Decode(text.slice(4))).toString('hex');
    expect(bytes.split(claims.passId).length).toBe(2);
    expect(bytes.split(claims.revocationId).length).toBe(2);
  });

  it('stays under 400 characters with the largest realistic scope, and refuses what does not fit', () => {
    const eightSites = Array.from({ length: 8 }, (_, i) => `site-hall${i}`); // 8 site ids of 10 characters
    const big = issuePass({ ...base, colour: 'yellow', scope: eightSites }, issuer);
    expect(big.text.length).toBeLessThan(400);
    expect(verifyPass(big.text, { ...ctx, site: 'site-hall7' }).scope).toEqual(eightSites);
    const tooMany = Array.from({ length: 8 }, (_, i) => `site-hall-0${i}`);
    expect(reasonOf(() => issuePass({ ...base, scope: tooMany }, issuer))).toBe('TOO_LARGE');
    expect(MAX_PASS_CHARS).toBe(399);
  });

  it('refuses claims a device would refuse', () => {
    expect(reasonOf(() => issuePass({ ...base, issuer: 'someone-else' }, issuer))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => issuePass({ ...base, expiresAt: base.notBefore }, issuer))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => issuePass({ ...base, scope: [] }, issuer))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => issuePass({ ...base, scope: ['bad site'] }, issuer))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => issuePass({ ...base, passId: 'abcd' }, issuer))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => issuePass({ ...base, issuedAt: 1.5 }, issuer))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => issuePass({ ...base, colour: 'blue' as 'green' }, issuer))).toBe('BAD_CLAIMS');
  });

  it('never puts pass bytes in an error message', () => {
    const { text } = issuePass(base, issuer);
    const tampered = text.slice(0, 60) + (text[60] === 'A' ? 'B' : 'A') + text.slice(61);
    for (const t of [tampered, text + 'X', 'HC1:' + text.slice(4), text.slice(0, 100)]) {
      try {
        verifyPass(t, ctx);
        expect.fail('accepted');
      } catch (err) {
        expect(isProtocolError(err)).toBe(true);
        const message = (err as Error).message;
        expect(message.length).toBeLessThan(80);
        expect(message).not.toContain(t.slice(4, 14));
      }
    }
  });
});

describe('evaluatePass policy', () => {
  it('maps each colour through the bundle policy', () => {
    const custom: TrustBundle = {
      ...bundle,
      policy: { actions: { green: 'open', yellow: 'open', red: 'attention' }, maxOfflineAgeSeconds: 60 },
    };
    const c: VerifyContext = { ...ctx, bundle: custom };
    expect(evaluatePass(issuePass({ ...base, colour: 'yellow' }, issuer).text, c).action).toBe('open');
    expect(evaluatePass(issuePass({ ...base, colour: 'red' }, issuer).text, c)).toMatchObject({
      colour: 'red',
      reason: 'OK',
      action: 'attention',
    });
    expect(evaluatePass('nonsense', c)).toMatchObject({ colour: 'red', action: 'deny', claims: null });
  });

  it('checks the sunset before staleness, and staleness only after everything else', () => {
    const { text } = issuePass({ ...base, expiresAt: T0_S + 400 * DAY }, issuer);
    expect(evaluatePass(text, { ...ctx, now: bundle.sunset, trustDataAt: 0 }).reason).toBe('SUNSET');
    expect(evaluatePass(text, { ...ctx, trustDataAt: 0, isRevoked: () => true }).reason).toBe('REVOKED');
    expect(reasonOf(() => verifyPass(text, { ...ctx, trustDataAt: 0 }))).toBe('BUNDLE_STALE');
  });
});

describe('inspectPass', () => {
  it('shows every field, marked unverified, without trusting the signature', () => {
    const { text, claims } = issuePass({ ...base, scope: ['north-gate'] }, issuer);
    const flipped = base45Decode(text.slice(4));
    flipped[flipped.length - 1]! ^= 1; // signature no longer holds: inspect still shows it all
    const out = inspectPass('GC1:' + base45Encode(flipped));
    expect(out.verified).toBe(false);
    expect(out.protectedHeader).toEqual({ alg: 'EdDSA (-8)', kid: issuer.kid });
    expect(out.claims).toMatchObject({
      issuer: 'acme-events',
      passId: claims.passId,
      revocationId: claims.revocationId,
      colour: 'green',
      scope: ['north-gate'],
    });
    expect(out.claims['expiresAt']).toEqual({
      epoch: claims.expiresAt,
      utc: new Date(claims.expiresAt * 1000).toISOString().replace('.000Z', 'Z'),
    });
    expect(out.characters).toBe(text.length);
    expect(out.coseBytes).toBe(flipped.length);
    expect(out.signature).toMatch(/^[0-9a-f]{128}$/);
  });

  it('lists claims a valid pass may not have, so nothing stays hidden', () => {
    const m = claimsMap({ ...base, issuer: 'acme-events', passId: '11'.repeat(16), revocationId: '22'.repeat(16) });
    m.set('name', 'Alice Example');
    const text = craftPass({ key: issuer, payload: encodeMap(m) });
    expect(inspectPass(text).unknownClaims).toEqual({ name: 'Alice Example' });
    expect(reasonOf(() => verifyPass(text, ctx))).toBe('BAD_CLAIMS');
  });

  it('throws a ProtocolError for what cannot be decoded', () => {
    expect(reasonOf(() => inspectPass('hello'))).toBe('BAD_PREFIX');
    expect(reasonOf(() => inspectPass('GC1:abc'))).toBe('BAD_ENCODING');
    expect(reasonOf(() => inspectPass('GC1:' + base45Encode(Uint8Array.of(1, 2, 3))))).toBe('MALFORMED');
  });
});
