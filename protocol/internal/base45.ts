// Base45 (RFC 9285), strict. Decoding refuses everything the RFC does not produce: characters outside the
// 45-character alphabet (including lower case), a length of 3n+1, a triplet above 65535 and a pair above 255.
// So every byte string has exactly one encoding and every accepted text decodes to exactly one byte string.
import { ProtocolError } from '../errors.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

export function base45Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) {
    const n = (bytes[i]! << 8) | bytes[i + 1]!;
    const c = n % 45;
    const d = Math.floor(n / 45) % 45;
    const e = Math.floor(n / 2025);
    out += ALPHABET[c]! + ALPHABET[d]! + ALPHABET[e]!;
  }
  if (i < bytes.length) {
    const n = bytes[i]!;
    out += ALPHABET[n % 45]! + ALPHABET[Math.floor(n / 45)]!;
  }
  return out;
}

function outsideAlphabet(): never {
  throw new ProtocolError('BAD_ENCODING', 'base45: character outside the alphabet');
}

function tripletAbove(): never {
  throw new ProtocolError('BAD_ENCODING', 'base45: triplet above 65535');
}

function pairAbove(): never {
  throw new ProtocolError('BAD_ENCODING', 'base45: final pair above 255');
}

/** How many bytes `text` from character `from` on decodes to; a length of 3n+1 is refused. */
export function base45DecodedLength(text: string, from = 0): number {
  const chars = text.length - from;
  if (chars % 3 === 1) throw new ProtocolError('BAD_ENCODING', 'base45: length leaves a single character');
  return ((chars / 3) | 0) * 2 + (chars % 3 === 2 ? 1 : 0);
}

/** The characters of a text being decoded, as UTF-8 bytes (encodeInto): room for any pass and holder proof. */
const CHARS_CAPACITY = 1024;
const chars = new Uint8Array(CHARS_CAPACITY);
const utf8 = new TextEncoder();

/**
 * Decode `text` from character `from` on into `out` at `offset` (no substring, no allocation); returns the number of
 * bytes written. `out` must have room for base45DecodedLength bytes from `offset`.
 *
 * The hot path (every scan): the text is first copied as UTF-8 into a scratch byte array by the engine in one call,
 * and the triplets are read from bytes. When every character took one byte (written === length) the text is all
 * ASCII, so a byte is its character and the table holds every check; any other text (a character outside ASCII, or
 * longer than the scratch) is decoded from its characters, with the same checks in the same order.
 */
export function base45DecodeInto(text: string, from: number, out: Uint8Array, offset: number): number {
  const size = base45DecodedLength(text, from);
  if (offset + size > out.length) throw new RangeError('base45: output buffer too small');
  const len = text.length;
  if (len <= CHARS_CAPACITY) {
    const { read, written } = utf8.encodeInto(text, chars);
    if (read === len && written === len) decodeAscii(chars, from, len, out, offset);
    else decodeChars(text, from, out, offset);
  } else decodeChars(text, from, out, offset);
  return size;
}

/** Decode the ASCII bytes b[from, len) (each < 0x80) into out at o. */
function decodeAscii(b: Uint8Array, from: number, len: number, out: Uint8Array, o: number): void {
  let i = from;
  for (; i + 2 < len; i += 3) {
    const va = VALUES[b[i]!]!;
    const vb = VALUES[b[i + 1]!]!;
    const vc = VALUES[b[i + 2]!]!;
    if ((va | vb | vc) < 0) outsideAlphabet();
    const n = va + vb * 45 + vc * 2025;
    if (n > 0xffff) tripletAbove();
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  }
  if (i < len) {
    const va = VALUES[b[i]!]!;
    const vb = VALUES[b[i + 1]!]!;
    if ((va | vb) < 0) outsideAlphabet();
    const n = va + vb * 45;
    if (n > 0xff) pairAbove();
    out[o] = n;
  }
}

/** Decode text's characters from `from` on into out at o: any text, character by character. */
function decodeChars(text: string, from: number, out: Uint8Array, o: number): void {
  const len = text.length;
  let i = from;
  for (; i + 2 < len; i += 3) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const c = text.charCodeAt(i + 2);
    if ((a | b | c) > 127) outsideAlphabet();
    const va = VALUES[a]!;
    const vb = VALUES[b]!;
    const vc = VALUES[c]!;
    if ((va | vb | vc) < 0) outsideAlphabet();
    const n = va + vb * 45 + vc * 2025;
    if (n > 0xffff) tripletAbove();
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  }
  if (i < len) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    if ((a | b) > 127 || (VALUES[a]! | VALUES[b]!) < 0) outsideAlphabet();
    const n = VALUES[a]! + VALUES[b]! * 45;
    if (n > 0xff) pairAbove();
    out[o] = n;
  }
}

/**
 * Decode `text` from character `from` on (no substring needed). With `into` (at least as long as the result) the
 * bytes are written there and a view of it is returned: for a caller that uses them at once, without allocating
 * the bytes.
 */
export function base45Decode(text: string, from = 0, into?: Uint8Array): Uint8Array {
  const size = base45DecodedLength(text, from);
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  base45DecodeInto(text, from, out, 0);
  return out;
}
