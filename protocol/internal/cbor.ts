// CBOR through cborg, made strict: definite lengths only, no undefined/NaN/Infinity, integers within the safe
// range, no duplicate map keys, no trailing bytes, no tags except the one the caller allows, and the bytes must be
// the canonical encoding of what they decode to (re-encoded and compared). That last rule also rejects
// non-shortest integers and lengths, unsorted maps, floats where an integer would do, and invalid UTF-8.
import { decode, encode } from 'cborg';
import type { DecodeOptions } from 'cborg';
import { ProtocolError } from '../errors.js';
import type { ProtocolReason } from '../errors.js';

const STRICT: DecodeOptions = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  useMaps: true,
  // Duplicate map keys need no separate check: the decoded map holds fewer entries, so its re-encoding is shorter
  // than the input and the canonical-form comparison below refuses it (cborg's own check costs as much as a decode).
  rejectDuplicateMapKeys: false,
};

/** A decoded CBOR value as the strict decoder returns it (maps as Map, byte strings as Uint8Array). */
export type Cbor = number | string | boolean | null | Uint8Array | readonly Cbor[] | ReadonlyMap<Cbor, Cbor>;

export function cborEncode(value: unknown): Uint8Array {
  return encode(value);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Decode one canonical CBOR item without tags; any deviation is a ProtocolError with `reason`. */
export function cborDecodeStrict(bytes: Uint8Array, reason: ProtocolReason = 'MALFORMED'): Cbor {
  let value: Cbor;
  try {
    value = decode(bytes, STRICT) as Cbor;
  } catch {
    throw new ProtocolError(reason, 'CBOR: not well-formed or not allowed');
  }
  let again: Uint8Array;
  try {
    again = encode(value);
  } catch {
    throw new ProtocolError(reason, 'CBOR: value cannot be represented');
  }
  if (!sameBytes(again, bytes)) throw new ProtocolError(reason, 'CBOR: not in canonical form');
  return value;
}

export function isMap(v: Cbor | undefined): v is ReadonlyMap<Cbor, Cbor> {
  return v instanceof Map;
}

export function isBytes(v: Cbor | undefined): v is Uint8Array {
  return v instanceof Uint8Array;
}

export function isUint(v: Cbor | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** The length of a CBOR head whose argument is `n` (a whole number, 0 to 2^53 - 1). */
export function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
}

/**
 * Write the CBOR head of major type `major` (0 to 7) with argument `n` (a whole number, 0 to 2^53 - 1) into `out`
 * at `at`, in its shortest form as the canonical encoder writes it; returns the next offset. For encoders that
 * build their bytes in place (a partition's entries) instead of through cborEncode.
 */
export function writeHead(out: Uint8Array, at: number, major: number, n: number): number {
  const mt = major << 5;
  if (n < 24) {
    out[at] = mt | n;
    return at + 1;
  }
  if (n < 0x100) {
    out[at] = mt | 24;
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    out[at] = mt | 25;
    out[at + 1] = n >>> 8;
    out[at + 2] = n & 0xff;
    return at + 3;
  }
  if (n < 0x100000000) {
    out[at] = mt | 26;
    writeUint32(out, at + 1, n);
    return at + 5;
  }
  out[at] = mt | 27;
  writeUint32(out, at + 1, Math.floor(n / 0x100000000));
  writeUint32(out, at + 5, n >>> 0);
  return at + 9;
}

function writeUint32(out: Uint8Array, at: number, n: number): void {
  out[at] = (n >>> 24) & 0xff;
  out[at + 1] = (n >>> 16) & 0xff;
  out[at + 2] = (n >>> 8) & 0xff;
  out[at + 3] = n & 0xff;
}

