// The committed vectors: still what make-vectors.ts makes, and each verifies exactly as stated, both with
// node:crypto (the implementation) and with tweetnacl (an independent Ed25519) doing the signature checks.
import { readFileSync } from 'node:fs';
import nacl from 'tweetnacl';
import { encode } from 'uqr';
import { describe, expect, it } from 'vitest';
import {
  decodePublicKey,
  evaluatePass,
  isProtocolError,
  PROTOCOL_REASONS,
  verifyBundle,
  verifyFreshness,
  verifyPass,
  verifyRevocations,
} from '../../protocol/index.js';
import type { TrustBundle, VerifyContext } from '../../protocol/index.js';
import { parseSign1, sigStructure } from '../../protocol/internal/cose.js';
import { evaluatePassWith } from '../../protocol/pass/evaluate.js';
import type { SignatureCheck } from '../../protocol/pass/verify.js';
import { seedFor, TEST_KEYS, testKey } from './fixed-keys.js';
import type { TestKeyName } from './fixed-keys.js';
import { VECTORS_FILE, vectorsJson } from './make-vectors.js';
import type { VectorFile } from './make-vectors.js';

const committed = readFileSync(VECTORS_FILE, 'utf8');
const file = JSON.parse(committed) as VectorFile;
const rootPublicKey = decodePublicKey(file.rootPublicKey);
const bundle = verifyBundle(new Uint8Array(Buffer.from(file.bundle, 'base64')), rootPublicKey);
const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));

function contextOf(v: VectorFile['passes'][number]): VerifyContext {
  const c = v.context;
  const b: TrustBundle = c.prependIssuers ? { ...bundle, issuers: [...c.prependIssuers, ...bundle.issuers] } : bundle;
  const revoked = new Set(c.revoked ?? []);
  return {
    bundle: b,
    now: c.now,
    ...(c.site !== undefined ? { site: c.site } : {}),
    ...(c.skewSeconds !== undefined ? { skewSeconds: c.skewSeconds } : {}),
    ...(c.trustDataAt !== undefined ? { trustDataAt: c.trustDataAt } : {}),
    isRevoked: (rid) => revoked.has(rid),
  };
}

const naclCheck: SignatureCheck = (message, signature, key) => nacl.sign.detached.verify(message, signature, key.raw);

function reasonOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (err) {
    if (isProtocolError(err)) return err.code;
    throw err;
  }
}

describe('committed vectors', () => {
  it('are exactly what make-vectors.ts produces', () => {
    expect(committed).toBe(vectorsJson());
  });

  it('cover every reason code', () => {
    const reasons = new Set(
      [...file.passes, ...file.bundles, ...file.revocations, ...file.freshness].map((v) => v.expected.reason),
    );
    for (const r of [
      'OK',
      'TOO_LARGE',
      'BAD_PREFIX',
      'BAD_ENCODING',
      'MALFORMED',
      'UNSUPPORTED_ALG',
      'UNKNOWN_KEY',
      'KEY_NOT_VALID',
      'BAD_SIGNATURE',
      'BAD_CLAIMS',
      'NOT_YET_VALID',
      'EXPIRED',
      'WRONG_SCOPE',
      'REVOKED',
      'BUNDLE_STALE',
      'SUNSET',
      'VERSION_ROLLBACK',
      'SEQUENCE_GAP',
      'HISTORY_CHANGED',
    ]) {
      expect(reasons, r).toContain(r);
    }
  });

  it('test keys made from their seeds agree between node:crypto and tweetnacl', () => {
    for (const name of Object.keys(TEST_KEYS) as TestKeyName[]) {
      const fromNacl = nacl.sign.keyPair.fromSeed(seedFor(TEST_KEYS[name].seed)).publicKey;
      expect(Buffer.from(fromNacl).toString('base64url')).toBe(file.keys[name]!.publicKey);
      expect(testKey(name).kid).toBe(file.keys[name]!.kid);
    }
  });
});

describe.each(file.passes.map((v) => [v.title, v] as const))('pass vector: %s', (_title, v) => {
  const ctx = contextOf(v);
  it('evaluatePass gives the stated verdict', () => {
    const verdict = evaluatePass(v.text, ctx);
    expect({ colour: verdict.colour, reason: verdict.reason, action: verdict.action }).toEqual({
      colour: v.expected.colour,
      reason: v.expected.reason,
      action: v.expected.action,
    });
    expect(verdict.claims).toEqual(v.expected.claims);
  });
  it('verifyPass returns the claims or throws the stated reason', () => {
    expect(reasonOf(() => verifyPass(v.text, ctx))).toBe(v.expected.reason);
    if (v.expected.reason === 'OK') expect(verifyPass(v.text, ctx)).toEqual(v.expected.claims);
  });
  it('tweetnacl doing the signature checks gives the same verdict', () => {
    expect(evaluatePassWith(v.text, ctx, naclCheck)).toEqual(evaluatePass(v.text, ctx));
  });
});

describe.each(file.holder.map((v) => [v.title, v] as const))('holder vector: %s', (_title, v) => {
  const accepted = v.context.acceptedSteps ?? [];
  const ctx: VerifyContext = {
    ...contextOf(v),
    ...(v.context.proofWindowSeconds !== undefined ? { proofWindowSeconds: v.context.proofWindowSeconds } : {}),
    proofReplayed: (_passId, step) => accepted.some((s) => s >= step),
  };
  it('evaluatePass gives the stated verdict', () => {
    const verdict = evaluatePass(v.text, ctx);
    expect([verdict.colour, verdict.reason, verdict.action]).toEqual([
      v.expected.colour,
      v.expected.reason,
      v.expected.action,
    ]);
    expect(verdict.claims).toEqual(v.expected.claims);
  });
  it('stays within QR version 13 at ECC M (alphanumeric)', () => {
    if (v.expected.reason !== 'OK') return;
    expect(v.text.length).toBeLessThanOrEqual(483);
    expect(encode(v.text, { ecc: 'M', boostEcc: false }).version).toBeLessThanOrEqual(13);
  });
});

describe('holder vectors', () => {
  it('cover every holder proof reason', () => {
    const reasons = new Set(file.holder.map((v) => v.expected.reason));
    for (const r of PROTOCOL_REASONS.filter((x) => x.startsWith('PROOF_'))) expect(reasons, r).toContain(r);
  });
});

describe.each(file.bundles.map((v) => [v.title, v] as const))('bundle vector: %s', (_title, v) => {
  const input = v.zeroFill !== undefined ? new Uint8Array(v.zeroFill) : bytes(v.bytes);
  it('verifyBundle gives the stated result', () => {
    const opts = v.minVersion !== undefined ? { minVersion: v.minVersion } : {};
    expect(reasonOf(() => verifyBundle(input, rootPublicKey, opts))).toBe(v.expected.reason);
    if (v.expected.reason === 'OK') expect(verifyBundle(input, rootPublicKey, opts).version).toBe(v.expected.version);
  });
  it('tweetnacl agrees on the root signature', () => {
    if (v.expected.reason === 'TOO_LARGE') return;
    const cose = parseSign1(bytes(v.bytes));
    const holds = nacl.sign.detached.verify(
      sigStructure(cose.protectedBytes, cose.payload),
      cose.signature,
      rootPublicKey,
    );
    expect(holds).toBe(!['UNKNOWN_KEY', 'BAD_SIGNATURE'].includes(v.expected.reason));
  });
});

describe.each(file.revocations.map((v) => [v.title, v] as const))('revocation vector: %s', (_title, v) => {
  const opts = {
    rootPublicKey,
    bundle,
    ...(v.currentSeq !== undefined ? { currentSeq: v.currentSeq } : {}),
    ...(v.logId !== undefined ? { logId: v.logId } : {}),
    ...(v.currentIssuedAt !== undefined ? { currentIssuedAt: v.currentIssuedAt } : {}),
  };
  it('verifyRevocations gives the stated result', () => {
    expect(reasonOf(() => verifyRevocations(bytes(v.bytes), opts))).toBe(v.expected.reason);
    if (v.expected.reason === 'OK') {
      const d = verifyRevocations(bytes(v.bytes), opts);
      expect([d.toSeq, d.added.length, d.removed.length]).toEqual([
        v.expected.toSeq,
        v.expected.added,
        v.expected.removed,
      ]);
    }
  });
  it('tweetnacl agrees on the signature', () => {
    const cose = parseSign1(bytes(v.bytes));
    const message = sigStructure(cose.protectedBytes, cose.payload);
    const signers = [rootPublicKey, testKey('revocation').publicKey];
    const holds = signers.some((k) => nacl.sign.detached.verify(message, cose.signature, k));
    expect(holds).toBe(!['UNKNOWN_KEY', 'BAD_SIGNATURE'].includes(v.expected.reason));
    if (v.signer) expect(nacl.sign.detached.verify(message, cose.signature, testKey(v.signer).publicKey)).toBe(true);
  });
});

describe.each(file.freshness.map((v) => [v.title, v] as const))('freshness vector: %s', (_title, v) => {
  const opts = {
    rootPublicKey,
    bundle,
    ...(v.currentSeq !== undefined ? { currentSeq: v.currentSeq } : {}),
    ...(v.logId !== undefined ? { logId: v.logId } : {}),
  };
  it('verifyFreshness gives the stated result', () => {
    expect(reasonOf(() => verifyFreshness(bytes(v.bytes), opts))).toBe(v.expected.reason);
    if (v.expected.reason === 'OK') expect(verifyFreshness(bytes(v.bytes), opts)).toEqual(v.expected.statement);
  });
  it('tweetnacl agrees on the signature', () => {
    const cose = parseSign1(bytes(v.bytes));
    const message = sigStructure(cose.protectedBytes, cose.payload);
    const signers = [rootPublicKey, testKey('revocation').publicKey];
    const holds = signers.some((k) => nacl.sign.detached.verify(message, cose.signature, k));
    expect(holds).toBe(!['UNKNOWN_KEY', 'BAD_SIGNATURE'].includes(v.expected.reason));
    if (v.signer) expect(nacl.sign.detached.verify(message, cose.signature, testKey(v.signer).publicKey)).toBe(true);
  });
});
