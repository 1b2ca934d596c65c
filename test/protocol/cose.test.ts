// The COSE_Sign1 envelope reader: exact shape, shortest lengths, and the pass-header fast path.
import { describe, expect, it } from 'vitest';
import { isProtocolError, issuePass } from '../../protocol/index.js';
import { base45Decode } from '../../protocol/internal/base45.js';
import { cborDecodeStrict } from '../../protocol/internal/cbor.js';
import { parseSign1 } from '../../protocol/internal/cose.js';
import { testKey } from '../vectors/fixed-keys.js';

import { T0_S } from '../support/clock.js';
const bytes = base45Decode(
  issuePass(
    { colour: 'green', notBefore: T0_S, expiresAt: T0_S + 60, issuedAt: T0_S, scope: 'all' },
    testKey('issuer'),
  ).text.slice(4),
);

function reason(b: Uint8Array): string {
  try {
    parseSign1(b);
    return 'OK';
  } catch (err) {
    return isProtocolError(err) ? err.code : 'other';
  }
}

describe('COSE_Sign1 envelope', () => {
  it('reads a pass; the header fast path equals the strict decoder', () => {
    const cose = parseSign1(bytes);
    expect(cose.signature.length).toBe(64);
    expect(cose.header).toEqual(cborDecodeStrict(cose.protectedBytes));
    expect([...cose.header.keys()]).toEqual([1, 4]);
  });

  it('refuses lengths that are not in shortest form, and forms it never uses', () => {
    // Rebuild the envelope with the payload length in two bytes (0x59 0x00 n) instead of one (0x58 n).
    const cose = parseSign1(bytes);
    const p = cose.protectedBytes.length;
    const payloadAt = 1 + 1 + 1 + p + 1; // tag, array head, bstr head of protected, protected, empty map
    expect(bytes[payloadAt]).toBe(0x58);
    const longForm = Uint8Array.from([...bytes.subarray(0, payloadAt), 0x59, 0x00, ...bytes.subarray(payloadAt + 1)]);
    expect(reason(longForm)).toBe('MALFORMED');
    const indefinite = Uint8Array.from([0xd2, 0x9f, ...bytes.subarray(2), 0xff]);
    expect(reason(indefinite)).toBe('MALFORMED');
    const eightByteLength = Uint8Array.from([0xd2, 0x84, 0x5b, 0, 0, 0, 0, 0, 0, 0, 13, ...bytes.subarray(3)]);
    expect(reason(eightByteLength)).toBe('MALFORMED');
    const twoByteTag = Uint8Array.from([0xd8, 0x12, ...bytes.subarray(1)]);
    expect(reason(twoByteTag)).toBe('MALFORMED');
    expect(reason(bytes.subarray(0, bytes.length - 1))).toBe('MALFORMED');
    expect(reason(Uint8Array.of(0xd2))).toBe('MALFORMED');
  });
});
