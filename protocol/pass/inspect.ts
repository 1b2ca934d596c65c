// Transparency: everything a pass holds, decoded without trusting any of it. Nothing here checks the signature,
// the issuer key, the time, the scope or revocation: the result says so in `verified: false`.
import { ProtocolError } from '../errors.js';
import { cborDecodeStrict, isBytes } from '../internal/cbor.js';
import type { Cbor } from '../internal/cbor.js';
import { ALG_EDDSA, HEADER_ALG, HEADER_KID } from '../internal/cose.js';
import { toBase64Url, toHex } from '../keys.js';
import { CLAIM, CLAIM_NAMES, SCOPE_ALL } from './claims.js';
import { openPass, PASS_PREFIX } from './verify.js';
import { HOLDER_PREFIX, PROOF_STEP_SECONDS, splitPresentation } from '../holder/proof.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PassInspection {
  readonly verified: false;
  readonly note: string;
  readonly prefix: string;
  readonly characters: number;
  readonly coseBytes: number;
  readonly protectedHeader: { [key: string]: Json };
  readonly claims: { [key: string]: Json };
  /** Claims a valid pass never has (verification rejects such a pass), listed so that nothing stays hidden. */
  readonly unknownClaims: { [key: string]: Json };
  readonly signature: string;
  /** A holder pass as a wallet shows it: its proof, not checked either. Absent for a bare pass. */
  readonly holderProof?: { readonly passTag: string; readonly step: number; readonly stepStartsAt: Json };
}

/** Any CBOR value as JSON: byte strings as `h'…'` hex, maps as objects with their keys as strings. */
function toJson(v: Cbor): Json {
  if (isBytes(v)) return `h'${toHex(v)}'`;
  if (Array.isArray(v)) return (v as readonly Cbor[]).map(toJson);
  if (v instanceof Map) {
    const out: { [key: string]: Json } = {};
    for (const [k, val] of v) out[typeof k === 'string' ? k : JSON.stringify(toJson(k))] = toJson(val);
    return out;
  }
  return v as Json;
}

function timeField(v: Cbor | undefined): Json {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < 253402300800) {
    return { epoch: v, utc: new Date(v * 1000).toISOString().replace('.000Z', 'Z') };
  }
  return v === undefined ? null : toJson(v);
}

function coseLength(base45Chars: number): number {
  return Math.floor(base45Chars / 3) * 2 + (base45Chars % 3 === 2 ? 1 : 0);
}

export function inspectPass(shownText: string): PassInspection {
  const { pass: text, proof } = splitPresentation(shownText);
  const cose = openPass(text);
  const protectedHeader: { [key: string]: Json } = {};
  for (const [label, value] of cose.header) {
    if (label === HEADER_ALG) protectedHeader['alg'] = value === ALG_EDDSA ? 'EdDSA (-8)' : toJson(value);
    else if (label === HEADER_KID) protectedHeader['kid'] = isBytes(value) ? toHex(value) : toJson(value);
    else protectedHeader[String(label)] = toJson(value);
  }
  const payload = cborDecodeStrict(cose.payload);
  if (!(payload instanceof Map)) throw new ProtocolError('MALFORMED', 'claims: not a map');
  const claims: { [key: string]: Json } = {};
  const unknownClaims: { [key: string]: Json } = {};
  for (const [key, value] of payload) {
    const name = typeof key === 'number' ? CLAIM_NAMES.get(key) : undefined;
    if (name === undefined) unknownClaims[typeof key === 'string' ? key : JSON.stringify(toJson(key))] = toJson(value);
    else if (key === CLAIM.exp || key === CLAIM.nbf || key === CLAIM.iat) claims[name] = timeField(value);
    else if ((key === CLAIM.cti || key === CLAIM.rid) && isBytes(value)) claims[name] = toHex(value);
    else if (key === CLAIM.scope && value === SCOPE_ALL) claims[name] = 'all';
    else if (key === CLAIM.holder && isBytes(value)) claims[name] = toBase64Url(value);
    else claims[name] = toJson(value);
  }
  return {
    verified: false,
    note: 'Decoded without checking signature, key, time, scope or revocation. Use `gatecode pass verify` for a verdict.',
    prefix: PASS_PREFIX,
    characters: text.length,
    coseBytes: coseLength(text.length - PASS_PREFIX.length),
    protectedHeader,
    claims,
    unknownClaims,
    signature: toHex(cose.signature),
    ...(proof === null
      ? {}
      : {
          prefix: HOLDER_PREFIX,
          holderProof: { passTag: toHex(proof.passTag), step: proof.step, stepStartsAt: timeField(proof.step * PROOF_STEP_SECONDS) },
        }),
  };
}
