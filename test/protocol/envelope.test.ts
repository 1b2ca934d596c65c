// The in-place reading of a pass (protocol/pass/envelope.ts) and the kid lookup by bytes (internal/keyring.ts):
// what the fast path accepts, the general COSE reader accepts too, with the same signed message; every envelope it
// refuses is refused by verifyPass with the general reader's reason.
import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isProtocolError, issuePass, verifyBundle, signBundle, verifyPass } from '../../protocol/index.js';
import type { IssuerKeyEntry, TrustBundle, VerifyContext } from '../../protocol/index.js';
import { base45Decode, base45Encode } from '../../protocol/internal/base45.js';
import { checkAlg, HEADER_KID, parseSign1, sigStructure } from '../../protocol/internal/cose.js';
import { encodePublicKey } from '../../protocol/keys.js';
import { PassScratch } from '../../protocol/pass/envelope.js';
import { openPass } from '../../protocol/pass/verify.js';
import { craftPass } from '../vectors/craft.js';
import { testKey } from '../vectors/fixed-keys.js';
import { DAY, mainBundle, SITE, T0_S } from '../vectors/pass-vectors.js';

const issuer = testKey('issuer');
const root = testKey('root');
const bundle = verifyBundle(signBundle(mainBundle(), root), root.publicKey);
const ctx: VerifyContext = { bundle, now: T0_S, site: SITE };
const base = { colour: 'green' as const, notBefore: T0_S - 60, expiresAt: T0_S + 30 * DAY, issuedAt: T0_S - 60 };

function reasonOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (err) {
    return isProtocolError(err) ? err.code : `not a ProtocolError: ${String(err)}`;
  }
}

describe('reading a pass in place', () => {
  it('builds the same Sig_structure, signature, kid and payload as the general reader', () => {
    const scratch = new PassScratch(399);
    const texts = [
      issuePass({ ...base, scope: 'all' }, issuer).text,
      issuePass({ ...base, scope: ['north-gate', 'a'.repeat(20), 'b'.repeat(20)] }, issuer).text,
      // A payload under 24 bytes (its length in the head's first byte): not claims, but an envelope all the same.
      craftPass({ key: issuer, payload: Uint8Array.of(0xa0) }),
    ];
    for (const text of texts) {
      const cose = parseSign1(base45Decode(text.slice(4)));
      expect(scratch.readStandardPass(text, 4)).toBe(true);
      const { message, signature, bytes, kidAt, payloadStart, payloadEnd } = scratch;
      expect(Buffer.from(message)).toEqual(Buffer.from(sigStructure(cose.protectedBytes, cose.payload)));
      expect(Buffer.from(signature)).toEqual(Buffer.from(cose.signature));
      expect(Buffer.from(bytes.subarray(kidAt, kidAt + 8)).toString('hex')).toBe(issuer.kid);
      expect(Buffer.from(bytes.subarray(payloadStart, payloadEnd))).toEqual(Buffer.from(cose.payload));
    }
  });

  it('gives, for every byte of a valid envelope changed, the reason the general reader gives', () => {
    const text = issuePass({ ...base, scope: ['north-gate'] }, issuer).text;
    const bytes = base45Decode(text.slice(4));
    /** The general reader's steps up to the signature, then what a changed signed byte leads to. */
    const expected = (t: string): string => {
      let kidKnown = true;
      const early = reasonOf(() => {
        const cose = openPass(t);
        checkAlg(cose.header);
        const kid = cose.header.get(HEADER_KID);
        if (!(kid instanceof Uint8Array) || kid.length !== 8) throw new Error('kid');
        kidKnown = Buffer.from(kid).toString('hex') === issuer.kid;
      });
      return early !== 'OK' ? early : kidKnown ? 'BAD_SIGNATURE' : 'UNKNOWN_KEY';
    };
    const seen = new Set<string>();
    for (let i = 0; i < bytes.length; i++) {
      for (const value of [bytes[i]! ^ 0x01, bytes[i]! ^ 0x80, 0x00, 0x18, 0x58, 0x59, 0xa0, 0xff]) {
        if (value === bytes[i]) continue;
        const changed = Uint8Array.from(bytes);
        changed[i] = value;
        const t = 'GC1:' + base45Encode(changed);
        const want = expected(t);
        // The general reader's "unknown kid" is UNKNOWN_KEY when nothing else is wrong.
        expect(
          reasonOf(() => verifyPass(t, ctx)),
          `byte ${i} = ${value}`,
        ).toBe(want === 'UNKNOWN_KEY' ? 'UNKNOWN_KEY' : want);
        seen.add(want);
      }
    }
    // Cut short and lengthened too.
    for (const changed of [bytes.subarray(0, bytes.length - 1), Uint8Array.from([...bytes, 0])]) {
      const t = 'GC1:' + base45Encode(changed);
      expect(reasonOf(() => verifyPass(t, ctx))).toBe(expected(t));
    }
    expect([...seen].sort()).toEqual(['BAD_SIGNATURE', 'MALFORMED', 'UNKNOWN_KEY', 'UNSUPPORTED_ALG']);
    // And the scratch buffer holds nothing over: the valid pass still verifies.
    expect(verifyPass(text, ctx).scope).toEqual(['north-gate']);
  });

  it('refuses a payload head not in shortest form even when the signature covers it as written', () => {
    const claims = issuePass({ ...base, scope: 'all' }, issuer).claims;
    expect(claims.issuer).toBe('acme-events');
    for (const payload of [Uint8Array.of(0xa0), new Uint8Array(30).fill(0x41)]) {
      const head = payload.length < 24 ? [0x58, payload.length] : [0x59, 0, payload.length];
      const protectedBytes = [0xa2, 0x01, 0x27, 0x04, 0x48, ...Buffer.from(issuer.kid, 'hex')];
      const signed = Uint8Array.from([
        ...[0x84, 0x6a, ...Buffer.from('Signature1'), 0x4d, ...protectedBytes, 0x40],
        ...head,
        ...payload,
      ]);
      const signature = sign(null, signed, issuer.privateKey);
      const envelope = Uint8Array.from([
        0xd2,
        0x84,
        0x4d,
        ...protectedBytes,
        0xa0,
        ...head,
        ...payload,
        0x58,
        0x40,
        ...signature,
      ]);
      expect(reasonOf(() => verifyPass('GC1:' + base45Encode(envelope), ctx))).toBe('MALFORMED');
    }
  });
});

describe('issuer keys by kid bytes', () => {
  const stranger = testKey('stranger');
  const entry = (kid: string, publicKey: Uint8Array): IssuerKeyEntry => ({
    kid,
    issuer: 'acme-events',
    publicKey: encodePublicKey(publicKey),
    validFrom: 0,
    validUntil: T0_S + 730 * DAY,
    status: 'active',
  });
  const withIssuers = (issuers: IssuerKeyEntry[]): VerifyContext => ({
    ...ctx,
    bundle: { ...bundle, issuers } as TrustBundle,
  });
  const text = issuePass({ ...base, scope: 'all' }, issuer).text;
  // A stated kid that shares the issuer kid's first 4 bytes (the index) and differs after them.
  const sameIndex = issuer.kid.slice(0, 8) + (issuer.kid.slice(8) === 'ffffffff' ? '00000000' : 'ffffffff');

  it('finds the key by the whole kid, not by the index of its first bytes', () => {
    expect(issuer.issuer).toBe('acme-events');
    expect(reasonOf(() => verifyPass(text, withIssuers([entry(sameIndex, stranger.publicKey)])))).toBe('UNKNOWN_KEY');
    const both = withIssuers([entry(sameIndex, stranger.publicKey), entry(issuer.kid, issuer.publicKey)]);
    expect(reasonOf(() => verifyPass(text, both))).toBe('OK');
    // Under the same kid, each key is tried in bundle order.
    const twice = withIssuers([entry(issuer.kid, stranger.publicKey), entry(issuer.kid, issuer.publicKey)]);
    expect(reasonOf(() => verifyPass(text, twice))).toBe('OK');
  });

  it('matches no entry whose kid is not 16 lower-case hex digits', () => {
    expect(reasonOf(() => verifyPass(text, withIssuers([entry(issuer.kid.toUpperCase(), issuer.publicKey)])))).toBe(
      /[a-f]/.test(issuer.kid) ? 'UNKNOWN_KEY' : 'OK',
    );
    expect(reasonOf(() => verifyPass(text, withIssuers([entry(issuer.kid + '00', issuer.publicKey)])))).toBe(
      'UNKNOWN_KEY',
    );
  });
});
