// Fixed TEST-ONLY keys for the vectors: Ed25519 keys made from published seeds, so that the vectors are
// reproducible byte for byte (Ed25519 signatures are deterministic). Never use these anywhere else.
import { createPrivateKey } from 'node:crypto';
import { kidFor } from '../../protocol/index.js';
import type { SigningKey } from '../../protocol/index.js';

// PKCS#8 DER prefix for an Ed25519 private key (RFC 8410); the 32-byte seed follows.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function seedFor(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

export function signingKeyFromSeed(seed: Uint8Array, issuer: string): SigningKey {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const x = privateKey.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('no public key');
  const publicKey = new Uint8Array(Buffer.from(x, 'base64url'));
  return { kid: kidFor(publicKey), issuer, privateKey, publicKey };
}

/** The named test keys and their seed bytes. */
export const TEST_KEYS = {
  root: { seed: 1, issuer: 'test-root' },
  issuer: { seed: 2, issuer: 'acme-events' },
  revokedIssuer: { seed: 3, issuer: 'acme-events' },
  stranger: { seed: 4, issuer: 'acme-events' },
  revocation: { seed: 5, issuer: 'acme-revocations' },
  lateIssuer: { seed: 6, issuer: 'late-issuer' },
  otherRoot: { seed: 7, issuer: 'other-root' },
  retiredIssuer: { seed: 8, issuer: 'acme-events' },
  holder: { seed: 9, issuer: 'holder' }, // a wallet's holder key (the issuer name is unused)
  otherHolder: { seed: 10, issuer: 'holder' },
} as const;

export type TestKeyName = keyof typeof TEST_KEYS;

export function testKey(name: TestKeyName): SigningKey {
  const k = TEST_KEYS[name];
  return signingKeyFromSeed(seedFor(k.seed), k.issuer);
}

/** The server history the revocation and freshness vectors belong to, and another one (a restored server's). */
export const TEST_LOG_ID = '67617465636f64652d6c6f672d696421';
export const OTHER_LOG_ID = '6f746865722d686973746f72792d2121';
