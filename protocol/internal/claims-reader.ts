// A strict reader for the one CBOR shape a pass's claims may have: a definite map of integer keys whose values
// are unsigned or negative integers, byte strings, text strings, or a definite array of those. It enforces the
// canonical form directly — shortest heads, keys in bytewise order without duplicates, valid UTF-8, nothing
// after the map — and refuses every other type (floats, tags, simple values, nested maps, indefinite lengths).
// It exists because it sits on the hot path of every scan: it costs a fifth of the general decoder with its
// re-encode check (see docs/protocol.md). Every failure is BAD_CLAIMS: it runs only after the signature holds.
import { ProtocolError } from '../errors.js';
import type { Cbor } from './cbor.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_ENTRIES = 32;

function bad(message: string): never {
  throw new ProtocolError('BAD_CLAIMS', `claims: ${message}`);
}

class Reader {
  pos = 0;
  /** Major type of the last head read (the head's argument is what head() returns: no object per item). */
  major = 0;
  constructor(private readonly b: Uint8Array) {}

  head(): number {
    const b = this.b;
    if (this.pos >= b.length) bad('truncated');
    const first = b[this.pos++]!;
    this.major = first >> 5;
    const ai = first & 31;
    if (ai < 24) return ai;
    const size = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0;
    if (size === 0) bad('indefinite length or reserved value');
    if (this.pos + size > b.length) bad('truncated');
    let arg = 0;
    for (let i = 0; i < size; i++) arg = arg * 256 + b[this.pos++]!;
    const min = size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : 0x100000000;
    if (arg < min) bad('not in shortest form');
    if (!Number.isSafeInteger(arg)) bad('integer out of range');
    return arg;
  }

  bytes(length: number): Uint8Array {
    if (this.pos + length > this.b.length) bad('truncated');
    const out = this.b.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** One item of the allowed types; arrays only at the top of a claim value. */
  item(depth: number): Cbor {
    const arg = this.head();
    switch (this.major) {
      case 0:
        return arg;
      case 1:
        return -1 - arg;
      case 2:
        return this.bytes(arg);
      case 3: {
        const bytes = this.bytes(arg);
        // Site ids, issuer names and colours are short ASCII: read them without a TextDecoder call (ASCII is
        // valid UTF-8 as it stands); anything else goes through the strict decoder.
        if (bytes.length <= 32) {
          let text = '';
          let i = 0;
          for (; i < bytes.length && bytes[i]! < 0x80; i++) text += String.fromCharCode(bytes[i]!);
          if (i === bytes.length) return text;
        }
        try {
          return utf8.decode(bytes);
        } catch {
          return bad('invalid UTF-8');
        }
      }
      case 4: {
        if (depth > 0 || arg > MAX_ENTRIES) bad('unexpected array');
        const out: Cbor[] = [];
        for (let i = 0; i < arg; i++) out.push(this.item(depth + 1));
        return out;
      }
      default:
        return bad('unsupported CBOR type');
    }
  }

  get end(): boolean {
    return this.pos === this.b.length;
  }
}

/** Compare b[a0..a1) with b[c0..c1) bytewise (shorter first on a tie), without making views. */
function compareRanges(b: Uint8Array, a0: number, a1: number, c0: number, c1: number): number {
  const n = Math.min(a1 - a0, c1 - c0);
  for (let i = 0; i < n; i++) if (b[a0 + i] !== b[c0 + i]) return b[a0 + i]! - b[c0 + i]!;
  return a1 - a0 - (c1 - c0);
}

/** Read the claims map; the values are checked by the caller. */
export function readClaimsMap(payload: Uint8Array): Map<number, Cbor> {
  const r = new Reader(payload);
  const arg = r.head();
  if (r.major !== 5) bad('not a map');
  if (arg > MAX_ENTRIES) bad('too many claims');
  const map = new Map<number, Cbor>();
  let prevStart = -1;
  let prevEnd = -1;
  for (let i = 0; i < arg; i++) {
    const keyStart = r.pos;
    const key = r.item(1);
    if (typeof key !== 'number') bad('unknown claim');
    if (prevStart >= 0 && compareRanges(payload, prevStart, prevEnd, keyStart, r.pos) >= 0)
      bad('keys not in canonical order, or repeated');
    prevStart = keyStart;
    prevEnd = r.pos;
    map.set(key, r.item(0));
  }
  if (!r.end) bad('bytes after the claims');
  return map;
}
