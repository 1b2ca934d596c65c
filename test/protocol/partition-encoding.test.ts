// The server writes partition payloads with a dedicated encoder (signPartition); it must give the very bytes the
// generic canonical CBOR encoder gives, for every size of head (entry count, id length, expiry), and refuse what the
// device's decoder would refuse.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cborDecodeStrict } from '../../protocol/internal/cbor.js';
import { isProtocolError } from '../../protocol/errors.js';
import {
  encodePartitionPayload,
  encodePartitionPayloadGeneric,
  type RevocationPartition,
} from '../../protocol/revocation-partitions.js';

const LOG = '00112233445566778899aabbccddeeff';
const EXPIRIES = [0, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];

function partition(count: number, index = 0x5a, idBytes = 16, version = 7): RevocationPartition {
  const prefix = index.toString(16).padStart(2, '0');
  const ids = Array.from({ length: count }, () => prefix + randomBytes(idBytes).toString('hex').slice(2)).sort();
  const entries = [...new Set(ids)].map((revocationId, k) => ({
    revocationId,
    expiresAt: EXPIRIES[k % EXPIRIES.length] as number,
  }));
  return { logId: LOG, index, prefixHex: 2, version, issuedAt: 1_800_000_000, entries };
}

const reason = (fn: () => unknown): string => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return isProtocolError(err) ? err.code : 'other';
  }
};

describe('partition payload encoding', () => {
  it('is byte for byte the generic canonical encoding, for every head size', () => {
    const cases = [
      partition(0),
      partition(1),
      partition(23),
      partition(24, 0),
      partition(255, 0xff, 32, 0),
      partition(256, 3, 24, 70_000),
      partition(70_000, 0x80, 16, 2 ** 32 + 5),
    ];
    for (const p of cases) {
      const fast = encodePartitionPayload(p);
      expect(Buffer.from(fast).equals(Buffer.from(encodePartitionPayloadGeneric(p)))).toBe(true);
      // And canonical by the device's strict decoder.
      expect(() => cborDecodeStrict(fast)).not.toThrow();
    }
  });

  it('refuses entries the device would refuse', () => {
    const p = partition(10);
    const swapped = [...p.entries];
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    expect(reason(() => encodePartitionPayload({ ...p, entries: swapped }))).toBe('BAD_CLAIMS');
    const other = { revocationId: 'ff' + p.entries[0]!.revocationId.slice(2), expiresAt: 1 };
    expect(reason(() => encodePartitionPayload({ ...p, entries: [...p.entries, other] }))).toBe('BAD_CLAIMS');
    const upper = { revocationId: p.entries[0]!.revocationId.toUpperCase(), expiresAt: 1 };
    expect(reason(() => encodePartitionPayload({ ...p, entries: [upper] }))).toBe('BAD_CLAIMS');
    const fraction = { revocationId: p.entries[0]!.revocationId, expiresAt: 1.5 };
    expect(reason(() => encodePartitionPayload({ ...p, entries: [fraction] }))).toBe('BAD_CLAIMS');
    expect(reason(() => encodePartitionPayload({ ...p, index: 256 }))).toBe('BAD_CLAIMS');
  });
});
