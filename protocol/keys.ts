// Ed25519 keys through node:crypto: generation, the kid derived from the public key, the root fingerprint that
// people compare by eye at enrolment, and the text forms of private and public keys (files are written elsewhere).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ProtocolError } from './errors.js';
import { checkIssuer } from './internal/names.js';

export interface SigningKey {
  readonly kid: string;
  readonly issuer: string;
  readonly privateKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

export const PUBLIC_KEY_BYTES = 32;
/** kid = the first 8 bytes of SHA-256(raw public key), hex: 16 characters. */
export const KID_BYTES = 8;
const PRIVATE_KEY_FORMAT = 'gatecode-ed25519-private-key/1';

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Strict base64url (no padding, no other characters), or null. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  return toBase64Url(bytes) === text ? bytes : null;
}

export function kidBytesFor(publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(publicKey).digest().subarray(0, KID_BYTES));
}

export function kidFor(publicKey: Uint8Array): string {
  return toHex(kidBytesFor(publicKey));
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A short, human-checkable fingerprint of the root public key: the first 80 bits of SHA-256(raw key) in
 * Crockford base32, four groups of four, e.g. `7KQ2-M9XD-4RTA-ZB0E`.
 */
export function rootFingerprint(publicKey: Uint8Array): string {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new ProtocolError('MALFORMED', 'public key must be 32 bytes');
  const digest = createHash('sha256').update(publicKey).digest();
  let bits = 0;
  let acc = 0;
  let out = '';
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | digest[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(acc >> bits) & 31]!;
    }
    acc &= (1 << bits) - 1;
  }
  return out.match(/.{4}/g)!.join('-');
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  const raw = typeof jwk.x === 'string' ? fromBase64Url(jwk.x) : null;
  if (jwk.crv !== 'Ed25519' || !raw || raw.length !== PUBLIC_KEY_BYTES)
    throw new ProtocolError('MALFORMED', 'not an Ed25519 key');
  return raw;
}

export function generateSigningKey(issuer: string): SigningKey {
  checkIssuer(issuer);
  const { privateKey, publicKey: pub } = generateKeyPairSync('ed25519');
  const publicKey = rawPublicKey(pub);
  return { kid: kidFor(publicKey), issuer, privateKey, publicKey };
}

/** A node:crypto public KeyObject for a raw Ed25519 key. */
export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new ProtocolError('MALFORMED', 'public key must be 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(publicKey) }, format: 'jwk' });
}

/** The private key file's text: JSON with the issuer, kid, public key (base64url) and the PKCS#8 PEM. */
export function encodePrivateKey(key: SigningKey): string {
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const doc = {
    format: PRIVATE_KEY_FORMAT,
    issuer: key.issuer,
    kid: key.kid,
    publicKey: toBase64Url(key.publicKey),
    privateKeyPkcs8: pem,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

export function decodePrivateKey(text: string): SigningKey {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ProtocolError('MALFORMED', 'private key: not JSON');
  }
  if (typeof doc !== 'object' || doc === null) throw new ProtocolError('MALFORMED', 'private key: not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d['format'] !== PRIVATE_KEY_FORMAT)
    throw new ProtocolError('MALFORMED', `private key: format is not ${PRIVATE_KEY_FORMAT}`);
  const { issuer, kid, publicKey, privateKeyPkcs8 } = d;
  if (
    typeof issuer !== 'string' ||
    typeof kid !== 'string' ||
    typeof publicKey !== 'string' ||
    typeof privateKeyPkcs8 !== 'string'
  ) {
    throw new ProtocolError('MALFORMED', 'private key: issuer, kid, publicKey and privateKeyPkcs8 must be strings');
  }
  checkIssuer(issuer, 'MALFORMED');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: privateKeyPkcs8, format: 'pem' });
  } catch {
    throw new ProtocolError('MALFORMED', 'private key: PEM does not parse');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new ProtocolError('MALFORMED', 'private key: not Ed25519');
  const raw = rawPublicKey(createPublicKey(privateKey));
  if (toBase64Url(raw) !== publicKey)
    throw new ProtocolError('MALFORMED', 'private key: publicKey does not match the private key');
  if (kidFor(raw) !== kid) throw new ProtocolError('MALFORMED', 'private key: kid does not match the public key');
  return { kid, issuer, privateKey, publicKey: raw };
}

/** A public key file's text: the raw 32-byte key in base64url, one line. */
export function encodePublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new ProtocolError('MALFORMED', 'public key must be 32 bytes');
  return toBase64Url(publicKey);
}

export function decodePublicKey(text: string): Uint8Array {
  const raw = fromBase64Url(text.trim());
  if (!raw || raw.length !== PUBLIC_KEY_BYTES)
    throw new ProtocolError('MALFORMED', 'public key: expected 43 base64url characters (32 bytes)');
  return raw;
}
