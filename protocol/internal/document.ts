// Signed documents other than passes (trust bundles, revocation lists, freshness statements): a COSE_Sign1 whose protected header is
// exactly { alg: -8, content type, kid }. The content type separates the kinds, so that no signed object of one
// kind can ever be taken for another (a pass has no content type and is refused here; these are refused as passes).
import { sign as edSign, verify as edVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import type { SigningKey } from '../keys.js';
import { KID_BYTES, kidBytesFor, toHex } from '../keys.js';
import { isBytes, isMap, isUint } from './cbor.js';
import type { Cbor } from './cbor.js';
import {
  ALG_EDDSA,
  buildSign1,
  checkAlg,
  HEADER_ALG,
  HEADER_CTY,
  HEADER_KID,
  parseSign1,
  sigStructure,
} from './cose.js';

export const CTY_BUNDLE = 'application/gatecode-bundle+cbor';
export const CTY_REVOCATIONS = 'application/gatecode-revocations+cbor';
export const CTY_FRESHNESS = 'application/gatecode-freshness+cbor';
export const CTY_REMOTE_OPEN = 'application/gatecode-remote-open+cbor';
export const CTY_REMOTE_LOCKDOWN = 'application/gatecode-remote-lockdown+cbor';

export function signDocument(cty: string, payload: Uint8Array, key: SigningKey): Uint8Array {
  const header = new Map<number, Cbor>([
    [HEADER_ALG, ALG_EDDSA],
    [HEADER_CTY, cty],
    [HEADER_KID, kidBytesFor(key.publicKey)],
  ]);
  return buildSign1(header, payload, (tbs) => new Uint8Array(edSign(null, tbs, key.privateKey)));
}

export interface OpenedDocument {
  readonly kid: string;
  /** Tries `key` on the signature; true when it verifies. */
  verifiedBy(key: KeyObject): boolean;
  readonly payload: Uint8Array;
}

/** Size → COSE shape → header (content type) → alg → kid. The signature is checked by the caller via verifiedBy. */
export function openDocument(bytes: Uint8Array, cty: string, maxBytes: number): OpenedDocument {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('MALFORMED', 'document: not bytes');
  if (bytes.length > maxBytes) throw new ProtocolError('TOO_LARGE', `document: larger than ${maxBytes} bytes`);
  const cose = parseSign1(bytes);
  for (const label of cose.header.keys()) {
    if (label !== HEADER_ALG && label !== HEADER_KID && label !== HEADER_CTY) {
      throw new ProtocolError('MALFORMED', 'COSE: unexpected protected header parameter');
    }
  }
  if (cose.header.get(HEADER_CTY) !== cty) throw new ProtocolError('MALFORMED', `COSE: content type is not ${cty}`);
  checkAlg(cose.header);
  const kid = cose.header.get(HEADER_KID);
  if (!isBytes(kid) || kid.length !== KID_BYTES) throw new ProtocolError('MALFORMED', 'COSE: kid is not 8 bytes');
  const message = sigStructure(cose.protectedBytes, cose.payload);
  return {
    kid: toHex(kid),
    payload: cose.payload,
    verifiedBy(key: KeyObject): boolean {
      try {
        return edVerify(null, message, key, cose.signature);
      } catch {
        return false;
      }
    },
  };
}

// Small readers for text-keyed payload maps; every failure is BAD_CLAIMS (the signature already holds).

export function bad(message: string): never {
  throw new ProtocolError('BAD_CLAIMS', message);
}

export function expectMap(v: Cbor | undefined, keys: readonly string[], what: string): ReadonlyMap<Cbor, Cbor> {
  if (!isMap(v)) bad(`${what}: not a map`);
  for (const k of v.keys()) if (typeof k !== 'string' || !keys.includes(k)) bad(`${what}: unknown field`);
  if (v.size !== keys.length) bad(`${what}: a field is missing`);
  return v;
}

export function uint(map: ReadonlyMap<Cbor, Cbor>, key: string, what: string): number {
  const v = map.get(key);
  if (!isUint(v)) bad(`${what}.${key}: not a whole non-negative number`);
  return v;
}

export function list(map: ReadonlyMap<Cbor, Cbor>, key: string, max: number, what: string): readonly Cbor[] {
  const v = map.get(key);
  if (!Array.isArray(v)) bad(`${what}.${key}: not a list`);
  if (v.length > max) bad(`${what}.${key}: more than ${max} entries`);
  return v as readonly Cbor[];
}
