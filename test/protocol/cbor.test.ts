// The strict CBOR decoder: one canonical encoding per value, nothing else.
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../protocol/index.js';
import { cborDecodeStrict, cborEncode } from '../../protocol/internal/cbor.js';
import { readClaimsMap } from '../../protocol/internal/claims-reader.js';

function reason(hex: string): string {
  try {
    cborDecodeStrict(Uint8Array.from(Buffer.from(hex, 'hex')));
    return 'OK';
  } catch (err) {
    return isProtocolError(err) ? err.code : 'other';
  }
}

describe('strict CBOR', () => {
  it('accepts canonical encodings', () => {
    expect(reason('a201020304')).toBe('OK'); // {1: 2, 3: 4}
    expect(reason('8301820203820405')).toBe('OK');
    expect(
      cborDecodeStrict(
        cborEncode(
          new Map<unknown, unknown>([
            [1, 'x'],
            [-65537, Uint8Array.of(1)],
          ]),
        ),
      ),
    ).toEqual(
      new Map<unknown, unknown>([
        [1, 'x'],
        [-65537, Uint8Array.of(1)],
      ]),
    );
  });

  it('refuses indefinite lengths, duplicate keys, trailing bytes and tags', () => {
    expect(reason('9f01ff')).toBe('MALFORMED'); // indefinite array
    expect(reason('bf0102ff')).toBe('MALFORMED'); // indefinite map
    expect(reason('5f4101ff')).toBe('MALFORMED'); // indefinite byte string
    expect(reason('a201020103')).toBe('MALFORMED'); // duplicate key 1
    expect(reason('0100')).toBe('MALFORMED'); // trailing byte
    expect(reason('c101')).toBe('MALFORMED'); // tag 1
    expect(reason('')).toBe('MALFORMED');
  });

  it('refuses non-canonical forms', () => {
    expect(reason('1801')).toBe('MALFORMED'); // 1 in two bytes
    expect(reason('a203040102')).toBe('MALFORMED'); // keys out of order
    expect(reason('f93c00')).toBe('MALFORMED'); // 1.0 as a half float
    expect(reason('62c328')).toBe('MALFORMED'); // invalid UTF-8
    expect(reason('f7')).toBe('MALFORMED'); // undefined
    expect(reason('f97e00')).toBe('MALFORMED'); // NaN
    expect(reason('1bffffffffffffffff')).toBe('MALFORMED'); // beyond the safe integer range
  });

  it('refuses deep nesting without a stack overflow escaping', () => {
    expect(reason('81'.repeat(100_000) + '01')).toBe('MALFORMED');
  });
});

describe('strict claims reader', () => {
  const read = (hex: string): string => {
    try {
      readClaimsMap(Uint8Array.from(Buffer.from(hex, 'hex')));
      return 'OK';
    } catch (err) {
      return isProtocolError(err) ? err.code : 'other';
    }
  };

  it('reads what the encoder writes', () => {
    const m = new Map<unknown, unknown>([
      [1, 'acme'],
      [4, 1_800_000_000],
      [7, Uint8Array.of(1, 2)],
      [-65539, ['a', 'b']],
    ]);
    expect(readClaimsMap(cborEncode(m))).toEqual(m);
  });

  it('refuses every non-canonical or unsupported form with BAD_CLAIMS', () => {
    expect(read('a201020102')).toBe('BAD_CLAIMS'); // duplicate key
    expect(read('a204010102')).toBe('BAD_CLAIMS'); // keys out of order
    expect(read('a1011801')).toBe('BAD_CLAIMS'); // 1 in two bytes
    expect(read('a10162c328')).toBe('BAD_CLAIMS'); // invalid UTF-8
    expect(read('a101f93c00')).toBe('BAD_CLAIMS'); // a float
    expect(read('a101c101')).toBe('BAD_CLAIMS'); // a tag
    expect(read('a101a0')).toBe('BAD_CLAIMS'); // a nested map
    expect(read('a1018181')).toBe('BAD_CLAIMS'); // nested array
    expect(read('a10101' + '00')).toBe('BAD_CLAIMS'); // trailing byte
    expect(read('bf0101ff')).toBe('BAD_CLAIMS'); // indefinite map
    expect(read('a1616101')).toBe('BAD_CLAIMS'); // text key
    expect(read('a10143')).toBe('BAD_CLAIMS'); // truncated byte string
    expect(read('80')).toBe('BAD_CLAIMS'); // not a map
  });
});
