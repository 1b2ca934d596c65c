// The strict CBOR decoder: one canonical encoding per value, nothing else.
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../protocol/index.js';
import { cborDecodeStrict, cborEncode } from '../../protocol/internal/cbor.js';

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
