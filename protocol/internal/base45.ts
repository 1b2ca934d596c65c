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

function value(text: string, i: number): number {
  const code = text.charCodeAt(i);
  const v = code < 128 ? VALUES[code]! : -1;
  if (v < 0) throw new ProtocolError('BAD_ENCODING', 'base45: character outside the alphabet');
  return v;
}

/**
 * Decode `text` from character `from` on (no substring needed). With `into` (at least as long as the result) the
 * bytes are written there and a view of it is returned: for a caller that uses them at once (a pass check),
 * without allocating.
 */
export function base45Decode(text: string, from = 0, into?: Uint8Array): Uint8Array {
  const len = text.length;
  if ((len - from) % 3 === 1) throw new ProtocolError('BAD_ENCODING', 'base45: length leaves a single character');
  const size = Math.floor((len - from) / 3) * 2 + ((len - from) % 3 === 2 ? 1 : 0);
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  let o = 0;
  let i = from;
  for (; i + 2 < len; i += 3) {
    const n = value(text, i) + value(text, i + 1) * 45 + value(text, i + 2) * 2025;
    if (n > 0xffff) throw new ProtocolError('BAD_ENCODING', 'base45: triplet above 65535');
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  }
  if (i < len) {
    const n = value(text, i) + value(text, i + 1) * 45;
    if (n > 0xff) throw new ProtocolError('BAD_ENCODING', 'base45: final pair above 255');
    out[o] = n;
  }
  return out;
}
