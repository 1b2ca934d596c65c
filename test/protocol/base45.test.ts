import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../protocol/index.js';
import { base45Decode, base45Encode } from '../../protocol/internal/base45.js';

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
