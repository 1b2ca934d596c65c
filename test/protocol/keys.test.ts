import { describe, expect, it } from 'vitest';
import {
  decodePrivateKey,
  decodePublicKey,
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  isProtocolError,
  kidFor,
  rootFingerprint,
} from '../../protocol/index.js';
import { testKey } from '../vectors/fixed-keys.js';

function reasonOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (err) {
    return isProtocolError(err) ? err.code : 'other';
  }
}

describe('keys', () => {
  it('derives kid as the first 8 bytes of SHA-256 of the raw public key', () => {
    const k = generateSigningKey('acme-events');
    expect(k.publicKey.length).toBe(32);
    expect(k.kid).toMatch(/^[0-9a-f]{16}$/);
    expect(kidFor(k.publicKey)).toBe(k.kid);
    // Fixed key: a known answer (sha256 of the raw key of seed 0x02 repeated).
    expect(kidFor(testKey('issuer').publicKey)).toBe(testKey('issuer').kid);
    expect(kidFor(new Uint8Array(32))).toBe('66687aadf862bd77');
  });

  it('round-trips a private key through its text form', () => {
    const k = generateSigningKey('acme-events');
    const text = encodePrivateKey(k);
    expect(JSON.parse(text)).toMatchObject({
      format: 'gatecode-ed25519-private-key/1',
      issuer: 'acme-events',
      kid: k.kid,
    });
    const back = decodePrivateKey(text);
    expect(back.kid).toBe(k.kid);
    expect(back.publicKey).toEqual(k.publicKey);
    expect(back.issuer).toBe('acme-events');
  });

  it('refuses private key text that does not hold together', () => {
    const k = generateSigningKey('acme-events');
    const doc = JSON.parse(encodePrivateKey(k)) as Record<string, string>;
    const other = JSON.parse(encodePrivateKey(generateSigningKey('acme-events'))) as Record<string, string>;
    expect(reasonOf(() => decodePrivateKey('not json'))).toBe('MALFORMED');
    expect(reasonOf(() => decodePrivateKey(JSON.stringify({ ...doc, kid: '0000000000000000' })))).toBe('MALFORMED');
    expect(reasonOf(() => decodePrivateKey(JSON.stringify({ ...doc, publicKey: other['publicKey'] })))).toBe(
      'MALFORMED',
    );
    expect(reasonOf(() => decodePrivateKey(JSON.stringify({ ...doc, privateKeyPkcs8: 'garbage' })))).toBe('MALFORMED');
    expect(reasonOf(() => decodePrivateKey(JSON.stringify({ ...doc, format: 'x' })))).toBe('MALFORMED');
    expect(reasonOf(() => decodePrivateKey(JSON.stringify({ ...doc, issuer: 'has space' })))).toBe('MALFORMED');
  });

  it('encodes public keys as 43 base64url characters and refuses anything else', () => {
    const k = generateSigningKey('x');
    const text = encodePublicKey(k.publicKey);
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodePublicKey(text + '\n')).toEqual(k.publicKey);
    expect(reasonOf(() => decodePublicKey(text.slice(1)))).toBe('MALFORMED');
    expect(reasonOf(() => decodePublicKey(text + 'A'))).toBe('MALFORMED');
    expect(reasonOf(() => decodePublicKey(Buffer.from(k.publicKey).toString('base64')))).not.toBe('other');
  });

  it('gives a short, stable, human-checkable root fingerprint', () => {
    const fp = rootFingerprint(testKey('root').publicKey);
    expect(fp).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(rootFingerprint(testKey('root').publicKey)).toBe(fp);
    expect(rootFingerprint(testKey('otherRoot').publicKey)).not.toBe(fp);
  });

  it('refuses issuer names that would not fit in a pass or a log line', () => {
    expect(reasonOf(() => generateSigningKey(''))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => generateSigningKey('a'.repeat(33)))).toBe('BAD_CLAIMS');
    expect(reasonOf(() => generateSigningKey('acme events'))).toBe('BAD_CLAIMS');
  });
});
