// The claims set of a pass: a CWT (RFC 8392) claims map with integer keys. Registered claims where one fits
// (iss, exp, nbf, iat, and cti for the pass id); the three gatecode claims use keys from the private-use range
// (below -65536). Exactly these eight claims, plus the optional holder key of a holder-bound pass: any other claim,
// a missing one or a wrong type is BAD_CLAIMS. A device decodes them with decodeClaims (claims-decode.ts).
import { ProtocolError } from '../errors.js';
import { COLOURS } from '../types.js';
import type { PassClaims } from '../types.js';
import { cborEncode, isUint } from '../internal/cbor.js';
import type { Cbor } from '../internal/cbor.js';
import { isName, MAX_SCOPE_SITES } from '../internal/names.js';
import { fromBase64Url, PUBLIC_KEY_BYTES } from '../keys.js';

export const CLAIM = {
  iss: 1,
  exp: 4,
  nbf: 5,
  iat: 6,
  cti: 7, // pass id
  rid: -65537, // revocation id
  colour: -65538,
  scope: -65539,
  holder: -65540, // holder-bound passes only: the holder's raw Ed25519 public key (32-byte byte string)
} as const;

export const CLAIM_NAMES: ReadonlyMap<number, string> = new Map([
  [CLAIM.iss, 'issuer'],
  [CLAIM.exp, 'expiresAt'],
  [CLAIM.nbf, 'notBefore'],
  [CLAIM.iat, 'issuedAt'],
  [CLAIM.cti, 'passId'],
  [CLAIM.rid, 'revocationId'],
  [CLAIM.colour, 'colour'],
  [CLAIM.scope, 'scope'],
  [CLAIM.holder, 'holderKey'],
]);

/** The scope value meaning "every site that trusts this issuer". */
export const SCOPE_ALL = '*';
export const ID_MIN_BYTES = 16;
export const ID_MAX_BYTES = 32;
const HEX_ID = /^(?:[0-9a-f]{2}){16,32}$/;

function bad(message: string): never {
  throw new ProtocolError('BAD_CLAIMS', message);
}

function isTime(v: unknown): v is number {
  return isUint(v as Cbor);
}

/** Check claims for issuing (same rules as verification) and encode them canonically. */
export function encodeClaims(c: PassClaims): Uint8Array {
  if (!isName(c.issuer)) bad('issuer: 1-32 characters of A-Z a-z 0-9 . _ -');
  if (!HEX_ID.test(c.passId)) bad('passId: 16-32 bytes as lower-case hex');
  if (!HEX_ID.test(c.revocationId)) bad('revocationId: 16-32 bytes as lower-case hex');
  if (c.passId === c.revocationId) bad('revocationId must not equal passId');
  if (!(COLOURS as readonly string[]).includes(c.colour)) bad('colour: green, yellow or red');
  if (!isTime(c.issuedAt) || !isTime(c.notBefore) || !isTime(c.expiresAt)) bad('times: whole seconds since the epoch');
  if (c.expiresAt <= c.notBefore) bad('expiresAt must be after notBefore');
  const scope = c.scope === 'all' ? SCOPE_ALL : [...c.scope];
  if (scope !== SCOPE_ALL) checkSites(scope);
  const holder = c.holderKey === undefined ? null : fromBase64Url(c.holderKey);
  if (c.holderKey !== undefined && (holder === null || holder.length !== PUBLIC_KEY_BYTES))
    bad('holderKey: a raw Ed25519 public key, 43 base64url characters');
  const map = new Map<number, Cbor>([
    [CLAIM.iss, c.issuer],
    [CLAIM.exp, c.expiresAt],
    [CLAIM.nbf, c.notBefore],
    [CLAIM.iat, c.issuedAt],
    [CLAIM.cti, Buffer.from(c.passId, 'hex')],
    [CLAIM.rid, Buffer.from(c.revocationId, 'hex')],
    [CLAIM.colour, c.colour],
    [CLAIM.scope, scope],
  ]);
  if (holder !== null) map.set(CLAIM.holder, holder);
  return cborEncode(map);
}

function checkSites(sites: readonly unknown[]): asserts sites is readonly string[] {
  if (sites.length === 0 || sites.length > MAX_SCOPE_SITES) bad(`scope: 1-${MAX_SCOPE_SITES} site ids`);
  if (!sites.every(isName)) bad('scope: site ids are 1-32 characters of A-Z a-z 0-9 . _ -');
  if (new Set(sites).size !== sites.length) bad('scope: duplicate site id');
}
