// The strict CBOR decoder: one canonical encoding per value, nothing else.
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../protocol/index.js';
import { cborDecodeStrict, cborEncode, headLength, writeHead } from '../../protocol/internal/cbor.js';

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

  it('writes heads in place exactly as the canonical encoder does, for every argument size', () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const head = (major: number, n: number) => {
      const out = new Uint8Array(headLength(n) + 2).fill(0xee);
      const next = writeHead(out, 1, major, n);
      expect(next, `major ${major}, ${n}`).toBe(1 + headLength(n));
      expect([out[0], out[next]], 'nothing written outside the head').toEqual([0xee, 0xee]);
      return hex(out.subarray(1, next));
    };
    for (const n of [
      0,
      23,
      24,
      255,
      256,
      65_535,
      65_536,
      70_000,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 32 + 5,
      Number.MAX_SAFE_INTEGER,
    ]) {
      expect(head(0, n), `uint ${n}`).toBe(hex(cborEncode(n)));
    }
    for (const n of [0, 23, 24, 255, 256, 65_535, 65_536, 70_000]) {
      const bytes = cborEncode(new Uint8Array(n));
      expect(head(2, n), `bstr ${n}`).toBe(hex(bytes.subarray(0, headLength(n))));
      const array = cborEncode(new Array<number>(n).fill(0));
      expect(head(4, n), `array ${n}`).toBe(hex(array.subarray(0, headLength(n))));
    }
  });
});
