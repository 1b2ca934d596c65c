import { describe, expect, it } from 'vitest';
import {
  generateSigningKey,
  isProtocolError,
  signBundle,
  signFreshness,
  signRevocations,
  verifyBundle,
  verifyFreshness,
  verifyRevocations,
} from '../../protocol/index.js';
import type { FreshnessStatement } from '../../protocol/index.js';
import { cborEncode } from '../../protocol/internal/cbor.js';
import { CTY_FRESHNESS, CTY_REVOCATIONS, signDocument } from '../../protocol/internal/document.js';
import { TEST_LOG_ID, testKey } from '../vectors/fixed-keys.js';
import { mainBundle, T0_S } from '../vectors/pass-vectors.js';

const root = testKey('root');
const revocationKey = testKey('revocation');
const bundle = verifyBundle(signBundle(mainBundle(), root), root.publicKey);
const stmt: FreshnessStatement = {
  issuedAt: T0_S + 60,
  logId: TEST_LOG_ID,
  bundleVersion: bundle.version,
  revocationSeq: 7,
};
const opts = { rootPublicKey: root.publicKey, bundle };

function reasonOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (err) {
    return isProtocolError(err) ? err.code : `other: ${String(err)}`;
  }
}

describe('freshness statements', () => {
  it('round-trip when signed by the root or a bundle revocation key', () => {
    expect(verifyFreshness(signFreshness(stmt, root), opts)).toEqual(stmt);
    expect(verifyFreshness(signFreshness(stmt, revocationKey), { ...opts, currentSeq: 7 })).toEqual(stmt);
  });

  it('refuses a statement signed by another root or by an issuer key', () => {
    const otherRoot = generateSigningKey('other-root');
    expect(reasonOf(() => verifyFreshness(signFreshness(stmt, otherRoot), opts))).toBe('UNKNOWN_KEY');
    expect(reasonOf(() => verifyFreshness(signFreshness(stmt, testKey('issuer')), opts))).toBe('UNKNOWN_KEY');
    // The statement of another deployment checked against that deployment's root would verify; against ours not.
    const foreign = signFreshness(stmt, otherRoot);
    expect(verifyFreshness(foreign, { ...opts, rootPublicKey: otherRoot.publicKey })).toEqual(stmt);
  });

  it('refuses every tampered byte of the payload and the signature', () => {
    const bytes = signFreshness(stmt, root);
    const seen = new Set<string>();
    for (let i = bytes.length - 90; i < bytes.length; i++) {
      const t = Uint8Array.from(bytes);
      t[i]! ^= 0x01;
      const r = reasonOf(() => verifyFreshness(t, opts));
      expect(r).not.toBe('OK');
      seen.add(r);
    }
    expect(seen.has('BAD_SIGNATURE')).toBe(true);
  });

  it('is never taken for a bundle or a revocation list, nor they for it', () => {
    const fresh = signFreshness(stmt, root);
    expect(reasonOf(() => verifyBundle(fresh, root.publicKey))).toBe('MALFORMED');
    expect(reasonOf(() => verifyRevocations(fresh, opts))).toBe('MALFORMED');
    const list = signRevocations(
      { kind: 'snapshot', logId: TEST_LOG_ID, fromSeq: 0, toSeq: 7, issuedAt: T0_S, added: [], removed: [] },
      root,
    );
    expect(reasonOf(() => verifyFreshness(list, opts))).toBe('MALFORMED');
    expect(reasonOf(() => verifyFreshness(signBundle(mainBundle(), root), opts))).toBe('MALFORMED');
    // The same payload under the revocation list's content type is refused too.
    const payload = cborEncode(new Map<string, unknown>(Object.entries(stmt)));
    expect(reasonOf(() => verifyFreshness(signDocument(CTY_REVOCATIONS, payload, root), opts))).toBe('MALFORMED');
  });

  it('checks the payload strictly', () => {
    const signed = (m: Map<string, unknown>): Uint8Array => signDocument(CTY_FRESHNESS, cborEncode(m), root);
    const base = (): Map<string, unknown> =>
      new Map<string, unknown>([
        ['issuedAt', stmt.issuedAt],
        ['logId', Buffer.from(stmt.logId, 'hex')],
        ['bundleVersion', stmt.bundleVersion],
        ['revocationSeq', stmt.revocationSeq],
      ]);
    expect(verifyFreshness(signed(base()), opts)).toEqual(stmt);
    const extra = base().set('note', 'x');
    expect(reasonOf(() => verifyFreshness(signed(extra), opts))).toBe('BAD_CLAIMS');
    const missing = base();
    missing.delete('revocationSeq');
    expect(reasonOf(() => verifyFreshness(signed(missing), opts))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => verifyFreshness(signed(base().set('issuedAt', -1)), opts))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => verifyFreshness(signed(base().set('revocationSeq', '7')), opts))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => signFreshness({ ...stmt, bundleVersion: 0 }, root))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => signFreshness({ ...stmt, issuedAt: 1.5 }, root))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => verifyFreshness(new Uint8Array(2048), opts))).toBe('TOO_LARGE');
    expect(reasonOf(() => verifyFreshness(new Uint8Array([0xd2, 0x84]), opts))).toBe('MALFORMED');
  });

  it('refuses a statement for older data than held; newer data verifies', () => {
    const bytes = signFreshness(stmt, root);
    expect(reasonOf(() => verifyFreshness(bytes, { ...opts, currentSeq: 8 }))).toBe('VERSION_ROLLBACK');
    const newer = { ...bundle, version: bundle.version + 1 };
    expect(reasonOf(() => verifyFreshness(bytes, { ...opts, bundle: newer }))).toBe('VERSION_ROLLBACK');
    expect(verifyFreshness(bytes, { ...opts, currentSeq: 6 })).toEqual(stmt);
  });
});
