import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../protocol/index.js';
import { base45Decode, base45DecodeInto, base45Encode } from '../../protocol/internal/base45.js';

const enc = (s: string): string => base45Encode(new TextEncoder().encode(s));
const dec = (s: string): string => new TextDecoder().decode(base45Decode(s));

function reason(text: string): string {
  try {
    base45Decode(text);
    return 'OK';
  } catch (err) {
    return isProtocolError(err) ? err.code : 'other';
  }
}

describe('base45 (RFC 9285)', () => {
  it('matches the RFC examples', () => {
    expect(enc('AB')).toBe('BB8');
    expect(enc('Hello!!')).toBe('%69 VD92EX0');
    expect(enc('base-45')).toBe('UJCLQE7W581');
    expect(dec('QED8WEX0')).toBe('ietf!');
  });

  it('round-trips every length and the extreme byte values', () => {
    for (let n = 0; n < 64; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n) & 0xff);
      expect(base45Decode(base45Encode(b))).toEqual(b);
    }
    expect(base45Encode(Uint8Array.of(0xff, 0xff))).toBe('FGW');
    expect(base45Encode(Uint8Array.of(0xff))).toBe('U5');
    expect(base45Decode('FGW')).toEqual(Uint8Array.of(0xff, 0xff));
    expect(base45Decode('')).toEqual(new Uint8Array(0));
  });

  it('refuses what RFC 9285 does not produce', () => {
    expect(reason('GGW')).toBe('BAD_ENCODING'); // 65536: above 0xffff
    expect(reason(':::')).toBe('BAD_ENCODING');
    expect(reason('V5')).toBe('BAD_ENCODING'); // 256 in the final pair
    expect(reason('BB8A')).toBe('BAD_ENCODING'); // 3n+1 characters
    expect(reason('bb8')).toBe('BAD_ENCODING'); // lower case is not in the alphabet
    expect(reason('BB\u00e9')).toBe('BAD_ENCODING');
    expect(reason('BB\n')).toBe('BAD_ENCODING');
    expect(reason('U5')).toBe('OK');
  });

  it("decodes from an offset, into a caller's buffer when it is large enough, the same bytes as a fresh decode", () => {
    const text = `GC1:${enc('Hello!!')}`;
    const fresh = base45Decode(text.slice(4));
    expect(Buffer.from(base45Decode(text, 4)).equals(Buffer.from(fresh))).toBe(true);
    const scratch = new Uint8Array(64).fill(0xee);
    const into = base45Decode(text, 4, scratch);
    expect(into.buffer).toBe(scratch.buffer); // no allocation
    expect(Buffer.from(into).equals(Buffer.from(fresh))).toBe(true);
    const small = new Uint8Array(3);
    const out = base45Decode(text, 4, small); // too small: a fresh buffer, the small one untouched
    expect(out.buffer).not.toBe(small.buffer);
    expect(Buffer.from(out).equals(Buffer.from(fresh))).toBe(true);
    expect(small).toEqual(new Uint8Array(3));
    // Strictness is the same from an offset: the length rule counts from the offset.
    expect(() => base45Decode('GC1:BB8A', 4)).toThrow(/single character/);
    expect(() => base45Decode('GC1:bb8', 4)).toThrow(/outside the alphabet/);
  });
});

/** RFC 9285 decoding written out plainly, character by character: the reference for both paths of the decoder. */
function referenceDecode(text: string): Uint8Array | string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  if (text.length % 3 === 1) return 'BAD_ENCODING';
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 3) {
    const group = [...text.slice(i, i + 3)].map((c) => alphabet.indexOf(c));
    if (group.includes(-1)) return 'BAD_ENCODING';
    const n = group.reduce((sum, v, k) => sum + v * 45 ** k, 0);
    if (n > (group.length === 3 ? 0xffff : 0xff)) return 'BAD_ENCODING';
    if (group.length === 3) out.push(n >> 8, n & 0xff);
    else out.push(n);
  }
  return Uint8Array.from(out);
}

function outcome(text: string, from = 0): Uint8Array | string {
  try {
    return base45Decode(text, from);
  } catch (err) {
    return isProtocolError(err) ? err.code : 'other';
  }
}

describe('base45 decoding from the bytes of an ASCII text, and from the characters of any other', () => {
  it('refuses a character outside ASCII wherever it stands, as the character-by-character decoder does', () => {
    const valid = enc('a pass-sized text: '.repeat(8)); // every triplet valid
    for (const odd of ['\u00e9', '\u0141', '\u0130', '\u20ac', '\ud83d\ude00', '\ud800', '\u0080', '\u00ff']) {
      // Keep the length legal (not 3n+1): a character in place of one, or a surrogate pair in place of two.
      for (const at of [0, 1, 2, 30, valid.length - odd.length]) {
        const text = valid.slice(0, at) + odd + valid.slice(at + odd.length);
        expect(outcome(text)).toBe('BAD_ENCODING');
        expect(() => base45Decode(text)).toThrow(/outside the alphabet/);
      }
    }
    // A character whose low byte is in the alphabet ('A' is 0x41; U+0141 and U+0241 end in 0x41) is not that letter.
    expect(outcome('BB\u0141')).toBe('BAD_ENCODING');
    expect(outcome('\u0242B')).toBe('BAD_ENCODING');
  });

  it('names the first fault in the text, as the character-by-character decoder does', () => {
    // A triplet above 65535 before a character outside ASCII: the triplet is the reason.
    expect(() => base45Decode('GGW' + 'BB\u00e9')).toThrow(/triplet above 65535/);
    expect(() => base45Decode('BB\u00e9' + 'GGW')).toThrow(/outside the alphabet/);
    expect(() => base45Decode('GGW' + 'bb8')).toThrow(/triplet above 65535/);
    expect(() => base45Decode('BB8' + 'V5')).toThrow(/final pair above 255/);
    expect(() => base45Decode('BB8' + 'V\u00e9')).toThrow(/outside the alphabet/);
  });

  it('decodes a text longer than its scratch space the same way (the character path)', () => {
    const bytes = Uint8Array.from({ length: 1500 }, (_, i) => (i * 131) & 0xff);
    const text = base45Encode(bytes); // 2,250 characters
    expect(base45Decode(text)).toEqual(bytes);
    expect(base45Decode(`GC1:${text}`, 4)).toEqual(bytes);
    expect(outcome(`${text.slice(0, -3)}GGW`)).toBe('BAD_ENCODING');
    expect(outcome(`${text.slice(0, -1)}\u00e9`)).toBe('BAD_ENCODING');
  });

  it('agrees with the RFC written out plainly on random texts of alphabet and other characters', () => {
    const chars = fc.constantFrom(
      ...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:',
      ...'a\n\u00e9\u0141\ud800\u0000~',
    );
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 40 }), fc.nat(4), (cs, from) => {
        const text = cs.join('');
        const prefix = 'GC1:'.slice(0, from);
        expect(outcome(prefix + text, prefix.length)).toEqual(referenceDecode(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes into a buffer at an offset the same bytes, leaving the bytes around them alone', () => {
    const bytes = Uint8Array.from({ length: 200 }, (_, i) => (i * 7 + 3) & 0xff);
    const text = `GC1:${base45Encode(bytes)}`;
    const out = new Uint8Array(260).fill(0xee);
    expect(base45DecodeInto(text, 4, out, 30)).toBe(200);
    expect(out.subarray(30, 230)).toEqual(bytes);
    expect(out.subarray(0, 30).every((b) => b === 0xee) && out.subarray(230).every((b) => b === 0xee)).toBe(true);
    expect(() => base45DecodeInto(text, 4, new Uint8Array(229), 30)).toThrow(RangeError);
  });
});
