// COSE_Sign1 (RFC 9052 §4.2) with EdDSA only. One shape is accepted:
//   18([ protected: bstr .cbor header-map, unprotected: {} , payload: bstr, signature: bstr .size 64 ])
// The protected header holds alg (1) = -8 and kid (4), plus content type (3) for bundles and revocation lists;
// the unprotected header must be empty so that no alg or kid can be slipped in unsigned.
import { ProtocolError } from '../errors.js';
import { cborDecodeStrict, cborEncode, headLength, isMap, writeHead } from './cbor.js';
import type { Cbor } from './cbor.js';

export const COSE_SIGN1_TAG = 18;
export const HEADER_ALG = 1;
export const HEADER_CTY = 3;
export const HEADER_KID = 4;
export const ALG_EDDSA = -8;
export const SIGNATURE_BYTES = 64;

export interface ParsedSign1 {
  readonly protectedBytes: Uint8Array;
  readonly header: ReadonlyMap<Cbor, Cbor>;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

/** One canonical CBOR head at `pos`: major type, argument, and where the content starts. */
function head(b: Uint8Array, pos: number): { major: number; arg: number; next: number } {
  if (pos >= b.length) throw new ProtocolError('MALFORMED', 'COSE: truncated');
  const first = b[pos]!;
  const major = first >> 5;
  const ai = first & 31;
  if (ai < 24) return { major, arg: ai, next: pos + 1 };
  const size = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : 0;
  // 8-byte lengths, indefinite lengths and reserved values never occur in a gatecode envelope.
  if (size === 0 || pos + 1 + size > b.length) throw new ProtocolError('MALFORMED', 'COSE: bad length');
  let arg = 0;
  for (let i = 1; i <= size; i++) arg = arg * 256 + b[pos + i]!;
  const min = ai === 24 ? 24 : ai === 25 ? 0x100 : 0x10000;
  if (arg < min) throw new ProtocolError('MALFORMED', 'COSE: length not in shortest form');
  return { major, arg, next: pos + 1 + size };
}

function bstrAt(b: Uint8Array, pos: number, what: string): { value: Uint8Array; next: number } {
  const h = head(b, pos);
  if (h.major !== 2) throw new ProtocolError('MALFORMED', `COSE: ${what} is not a byte string`);
  const end = h.next + h.arg;
  if (end > b.length) throw new ProtocolError('MALFORMED', 'COSE: truncated');
  return { value: b.subarray(h.next, end), next: end };
}

// The protected header of every pass: a2 01 27 04 48 <kid>, i.e. { 1: -8, 4: h'<8 bytes>' } in canonical CBOR.
const PASS_HEADER_PREFIX = [0xa2, 0x01, 0x27, 0x04, 0x48];

function decodeHeader(bytes: Uint8Array): ReadonlyMap<Cbor, Cbor> {
  // Fast path for the one header every valid pass has; it yields exactly what the strict decoder would.
  if (bytes.length === PASS_HEADER_PREFIX.length + 8 && PASS_HEADER_PREFIX.every((b, i) => bytes[i] === b)) {
    return new Map<Cbor, Cbor>([
      [HEADER_ALG, ALG_EDDSA],
      [HEADER_KID, bytes.subarray(PASS_HEADER_PREFIX.length)],
    ]);
  }
  const header = cborDecodeStrict(bytes);
  if (!isMap(header)) throw new ProtocolError('MALFORMED', 'COSE: protected header is not a map');
  return header;
}

/**
 * Parse the COSE_Sign1 envelope: exactly tag 18, a four-element array, a non-empty protected header byte string,
 * an empty unprotected map, the payload byte string and a 64-byte signature, all in shortest form, nothing after.
 * This fixed shape is read directly (it is on the hot path of every scan); the protected header goes through the
 * strict CBOR decoder. Checks shape only; alg, kid and content type are the caller's to judge.
 */
export function parseSign1(bytes: Uint8Array): ParsedSign1 {
  if (bytes.length < 2 || bytes[0] !== 0xc0 + COSE_SIGN1_TAG)
    throw new ProtocolError('MALFORMED', 'COSE: not a tagged COSE_Sign1');
  const arr = head(bytes, 1);
  if (arr.major !== 4 || arr.arg !== 4) throw new ProtocolError('MALFORMED', 'COSE: not a four-element array');
  const prot = bstrAt(bytes, arr.next, 'protected header');
  if (prot.value.length === 0) throw new ProtocolError('MALFORMED', 'COSE: protected header missing');
  const unprot = head(bytes, prot.next);
  if (unprot.major !== 5 || unprot.arg !== 0)
    throw new ProtocolError('MALFORMED', 'COSE: unprotected header must be empty');
  const payload = bstrAt(bytes, unprot.next, 'payload');
  const signature = bstrAt(bytes, payload.next, 'signature');
  if (signature.value.length !== SIGNATURE_BYTES)
    throw new ProtocolError('MALFORMED', 'COSE: signature is not 64 bytes');
  if (signature.next !== bytes.length) throw new ProtocolError('MALFORMED', 'COSE: bytes after the structure');
  const header = decodeHeader(prot.value);
  return { protectedBytes: prot.value, header, payload: payload.value, signature: signature.value };
}

const SIG1_PREFIX = Uint8Array.of(0x84, 0x6a, ...new TextEncoder().encode('Signature1'));

/** Sig_structure = ["Signature1", protected, external_aad = h'', payload], CBOR-encoded: the bytes that are signed. */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array, into?: Uint8Array): Uint8Array {
  const phLen = headLength(protectedBytes.length);
  const plLen = headLength(payload.length);
  const size = SIG1_PREFIX.length + phLen + protectedBytes.length + 1 + plLen + payload.length;
  // With `into` (a scratch buffer of a caller that verifies at once) the bytes are built there, not allocated.
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  let o = 0;
  out.set(SIG1_PREFIX, o);
  o += SIG1_PREFIX.length;
  o = writeHead(out, o, 2, protectedBytes.length);
  out.set(protectedBytes, o);
  o += protectedBytes.length;
  out[o++] = 0x40; // external_aad: empty byte string
  o = writeHead(out, o, 2, payload.length);
  out.set(payload, o);
  return out;
}

/** Build a tagged COSE_Sign1; `sign` receives the Sig_structure bytes and returns the 64-byte signature. */
export function buildSign1(
  header: ReadonlyMap<number, Cbor>,
  payload: Uint8Array,
  sign: (toBeSigned: Uint8Array) => Uint8Array,
): Uint8Array {
  const protectedBytes = cborEncode(header);
  const signature = sign(sigStructure(protectedBytes, payload));
  const body = cborEncode([protectedBytes, new Map(), payload, signature]);
  const out = new Uint8Array(body.length + 1);
  out[0] = 0xc0 + COSE_SIGN1_TAG;
  out.set(body, 1);
  return out;
}

/** Read alg from a protected header: -8, anything else is UNSUPPORTED_ALG; a missing alg is MALFORMED. */
export function checkAlg(header: ReadonlyMap<Cbor, Cbor>): void {
  const alg = header.get(HEADER_ALG);
  if (alg === undefined) throw new ProtocolError('MALFORMED', 'COSE: alg missing');
  if (alg !== ALG_EDDSA) throw new ProtocolError('UNSUPPORTED_ALG', 'COSE: only EdDSA (-8) is accepted');
}
