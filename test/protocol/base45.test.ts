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
});
