// Bearer tokens and enrolment codes: random, stored only as SHA-256 hashes, compared in constant time.
// A token is `<kind>.<id>.<secret>`: the id finds the row (and names the actor in the audit log), the secret
// is checked against the stored hash with timingSafeEqual.
import crypto, { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenKind = 'adm' | 'dev';

// crypto.hash (Node ≥ 20.12) hashes in one call, without a Hash object per token check: the polling path's
// authentication is most of its own cost. Older Node 20 releases take the createHash path.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;

export function sha256(text: string): Buffer {
  if (oneShot) return oneShot('sha256', text, 'buffer');
  return createHash('sha256').update(text, 'utf8').digest();
}

export function randomId(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

export function newToken(kind: TokenKind, id: string): { token: string; hash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${kind}.${id}.${secret}`, hash: sha256(secret) };
}

/** Split a token into its id and secret; null when it is not of the expected kind and shape. */
export function parseToken(token: string, kind: TokenKind): { id: string; secret: string } | null {
  const m = /^([a-z]{3})\.([0-9a-f]{8,64})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m || m[1] !== kind) return null;
  return { id: m[2] as string, secret: m[3] as string };
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const given = sha256(secret);
  return given.length === storedHash.length && timingSafeEqual(given, storedHash);
}

// Enrolment codes: 12 Crockford base32 characters (60 bits), shown as XXXX-XXXX-XXXX; one-time and short-lived,
// and enrolment attempts are rate-limited per address, so guessing is out of reach.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newEnrolmentCode(): string {
  const bytes = randomBytes(12);
  let out = '';
  for (let i = 0; i < 12; i++) {
    out += CROCKFORD[(bytes[i] as number) & 31];
    if (i === 3 || i === 7) out += '-';
  }
  return out;
}

/** Canonical form of a typed code: upper case, no dashes or spaces, I/L→1 and O→0 as Crockford reads them. */
export function normaliseEnrolmentCode(text: string): string | null {
  const s = text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (!/^[0-9A-HJKMNP-TV-Z]{12}$/.test(s)) return null;
  return s;
}

export function enrolmentCodeHash(code: string): Buffer {
  return sha256(`enrol:${code}`);
}
