// Revocation deltas and snapshots: sequence continuity, refusals that change nothing, and expiry purge.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../protocol/errors.js';
import { openStore, PURGE_SLICES, StoreError } from '../../../device/store/index.js';
import type { DeviceStore } from '../../../device/store/index.js';
import { delta, LOG_ID, rid, tempDir } from './helpers.js';
import type { TempDir } from './helpers.js';

let tmp: TempDir;
let store: DeviceStore;

beforeEach(() => {
  tmp = tempDir();
  store = openStore(tmp.file());
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError || err instanceof ProtocolError) return err.code;
    throw err;
  }
  throw new Error('expected an error');
}

/** Everything observable about the list, to compare before and after a refused apply. */
function snapshotOf(s: DeviceStore, ids: readonly string[]): unknown {
  return { info: s.revocationInfo(), revoked: ids.map((id) => s.isRevoked(id)) };
}

describe('server histories (log ids)', () => {
  const OTHER = 'ee'.repeat(16);

  it('takes a snapshot of another history whole, even at a lower sequence, and follows that history on', () => {
    store.applyRevocations(delta(0, 5, [rid(1), rid(2)]), 1_800_000_010);
    const restored = delta(0, 3, [rid(1), rid(3)], [], { kind: 'snapshot', logId: OTHER, issuedAt: 1_800_000_100 });
    store.applyRevocations(restored, 1_800_000_110);
    expect(store.revocationInfo()).toMatchObject({ seq: 3, logId: OTHER, issuedAt: 1_800_000_100, count: 2 });
    expect([1, 2, 3].map((n) => store.isRevoked(rid(n)))).toEqual([true, false, true]);
    store.applyRevocations(delta(3, 4, [rid(4)], [], { logId: OTHER, issuedAt: 1_800_000_200 }), 1_800_000_210);
    expect(store.revocationInfo()).toMatchObject({ seq: 4, logId: OTHER });
    // The abandoned history's lists are other data now: its delta continuing "4" is not taken.
    expect(codeOf(() => store.applyRevocations(delta(4, 5, [rid(5)]), 1_800_000_220))).toBe('HISTORY_CHANGED');
  });

  it('refuses a delta of another history and a snapshot of another history older than the list held', () => {
    store.applyRevocations(delta(0, 3, [rid(1)]), 1_800_000_010);
    const before = snapshotOf(store, [rid(1), rid(2)]);
    expect(codeOf(() => store.applyRevocations(delta(3, 4, [rid(2)], [], { logId: OTHER }), 1_800_000_020))).toBe(
      'HISTORY_CHANGED',
    );
    const old = delta(0, 9, [rid(2)], [], { kind: 'snapshot', logId: OTHER, issuedAt: 1_700_000_000 });
    expect(codeOf(() => store.applyRevocations(old, 1_800_000_020))).toBe('VERSION_ROLLBACK');
    expect(codeOf(() => store.applyRevocations({ ...delta(3, 4, []), logId: 'x' }, 1_800_000_020))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(snapshotOf(store, [rid(1), rid(2)])).toEqual(before);
  });
});

describe('applyRevocations', () => {
  it('applies deltas in sequence: added ids are revoked, removed ones no longer', () => {
    expect(store.revocationSeq()).toBe(0);
    store.applyRevocations(delta(0, 1, [rid(1), rid(2)]), 1_800_000_010);
    expect(store.revocationSeq()).toBe(1);
    expect(store.isRevoked(rid(1))).toBe(true);
    expect(store.isRevoked(rid(3))).toBe(false);
    store.applyRevocations(delta(1, 3, [rid(3)], [rid(1)]), 1_800_000_020);
    expect([1, 2, 3].map((n) => store.isRevoked(rid(n)))).toEqual([false, true, true]);
    expect(store.revocationInfo()).toEqual({
      seq: 3,
      logId: LOG_ID,
      issuedAt: 1_800_000_003,
      receivedAt: 1_800_000_020,
      count: 2,
    });
  });

  it('matches ids whatever the case of their hex digits', () => {
    store.applyRevocations(delta(0, 1, ['ABCDEF0123456789abcdef0123456789']), 1);
    expect(store.isRevoked('abcdef0123456789ABCDEF0123456789')).toBe(true);
  });

  it('keeps an id that a delta both removes and adds revoked', () => {
    store.applyRevocations(delta(0, 1, [rid(1)]), 1);
    store.applyRevocations(delta(1, 2, [rid(1)], [rid(1)]), 2);
    expect(store.isRevoked(rid(1))).toBe(true);
  });

  it('replaces the whole list with a snapshot', () => {
    store.applyRevocations(delta(0, 4, [rid(1), rid(2)]), 1);
    store.applyRevocations(delta(0, 9, [rid(2), rid(5)], [], { kind: 'snapshot' }), 2);
    expect([1, 2, 5].map((n) => store.isRevoked(rid(n)))).toEqual([false, true, true]);
    expect(store.revocationSeq()).toBe(9);
  });

  it('refuses a gap, a replay and an older snapshot, leaving the list exactly as it was', () => {
    store.applyRevocations(delta(0, 5, [rid(1), rid(2)]), 1);
    const probe = [rid(1), rid(2), rid(3)];
    const before = snapshotOf(store, probe);
    expect(codeOf(() => store.applyRevocations(delta(6, 7, [rid(3)], [rid(1)]), 9))).toBe('SEQUENCE_GAP');
    expect(codeOf(() => store.applyRevocations(delta(4, 6, [rid(3)]), 9))).toBe('SEQUENCE_GAP');
    expect(codeOf(() => store.applyRevocations(delta(0, 5, [rid(3)]), 9))).toBe('VERSION_ROLLBACK');
    expect(codeOf(() => store.applyRevocations(delta(5, 5, [rid(3)]), 9))).toBe('VERSION_ROLLBACK');
    expect(codeOf(() => store.applyRevocations(delta(0, 4, [rid(3)], [], { kind: 'snapshot' }), 9))).toBe(
      'VERSION_ROLLBACK',
    );
    expect(snapshotOf(store, probe)).toEqual(before);
  });

  it('rolls back everything when an entry deep in the delta is malformed', () => {
    store.applyRevocations(delta(0, 1, [rid(1)]), 1);
    const probe = [rid(1), rid(2), rid(500)];
    const before = snapshotOf(store, probe);
    const added = Array.from({ length: 1000 }, (_, n) => rid(n + 2));
    added[700] = 'not-hex';
    expect(codeOf(() => store.applyRevocations(delta(1, 2, added, [rid(1)]), 2))).toBe('INVALID_ARGUMENT');
    const badExpiry = { ...delta(1, 2, [rid(2)]), added: [{ revocationId: rid(2), expiresAt: -1 }] };
    expect(codeOf(() => store.applyRevocations(badExpiry, 2))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.applyRevocations({ ...delta(1, 2, []), kind: 'other' as 'delta' }, 2))).toBe(
      'INVALID_ARGUMENT',
    );
    // A snapshot that fails after clearing the list must not leave it empty.
    expect(codeOf(() => store.applyRevocations(delta(0, 3, ['zz'], [], { kind: 'snapshot' }), 2))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(snapshotOf(store, probe)).toEqual(before);
  });

  it('refuses a malformed id in a lookup instead of answering "not revoked"', () => {
    expect(codeOf(() => store.isRevoked('xyz'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.isRevoked('abc'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.isRevoked(''))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.isRevoked('ab'.repeat(65)))).toBe('INVALID_ARGUMENT'); // 65 bytes
    expect(store.isRevoked('ab'.repeat(64))).toBe(false); // 64 bytes: the longest id
    expect(codeOf(() => store.isRevoked('0g'))).toBe('INVALID_ARGUMENT');
  });
});

describe('purgeExpired (revocations)', () => {
  const grace = 86_400;

  it('drops ids whose pass expired more than the grace ago, keeps the others', () => {
    const t = 1_800_000_000;
    store.applyRevocations(
      delta(
        0,
        1,
        [
          { id: rid(1), expiresAt: t - grace - 10 },
          { id: rid(2), expiresAt: t - 10 },
          { id: rid(3), expiresAt: t + 10 },
        ],
        [],
        {
          issuedAt: t,
        },
      ),
      t,
    );
    expect(store.purgeExpired(t, 3600).revocations).toBe(1);
    expect([1, 2, 3].map((n) => store.isRevoked(rid(n)))).toEqual([false, true, true]);
  });

  it('does not let a clock set far forward empty the list: the signed issue time caps "now"', () => {
    const t = 1_800_000_000;
    store.applyRevocations(delta(0, 1, [{ id: rid(1), expiresAt: t + 1000 }], [], { issuedAt: t }), t);
    expect(store.purgeExpired(t + 365 * 86_400, 3600).revocations).toBe(0);
    expect(store.isRevoked(rid(1))).toBe(true);
    // Once newer signed data proves the time has moved on, the entry goes.
    store.applyRevocations(delta(1, 2, [], [], { issuedAt: t + 1000 + grace + 1 }), t + 1000 + grace + 1);
    expect(store.purgeExpired(t + 365 * 86_400, 3600).revocations).toBe(1);
  });

  it('honours a configured grace', () => {
    store.close();
    store = openStore(tmp.file(), { revocationGraceSeconds: 0 });
    const t = 1_800_000_000;
    store.applyRevocations(delta(0, 1, [{ id: rid(1), expiresAt: t - 1 }], [], { issuedAt: t }), t);
    expect(store.purgeExpired(t, 3600).revocations).toBe(1);
  });
});

describe('purgeExpiredRevocations (one slice of the id space)', () => {
  const t = 1_800_000_000;
  const grace = 86_400;
  // Ids whose first byte is 0x00, 0x7f and 0xff: slices 0, 127 and 255.
  const at = (firstByte: number, n: number) => `${firstByte.toString(16).padStart(2, '0')}${rid(n).slice(2)}`;
  const expired = [at(0x00, 1), at(0x7f, 2), at(0xff, 3)];
  const live = [at(0x00, 4), at(0x7f, 5), at(0xff, 6)];

  beforeEach(() => {
    const entries = [
      ...expired.map((id) => ({ id, expiresAt: t - grace - 10 })),
      ...live.map((id) => ({ id, expiresAt: t + 10 })),
    ];
    store.applyRevocations(delta(0, 1, entries, [], { issuedAt: t }), t);
  });

  it('removes the expired ids of its slice only; all slices together remove what one whole purge does', () => {
    expect(store.purgeExpiredRevocations(t, 127)).toBe(1);
    expect(expired.map((id) => store.isRevoked(id))).toEqual([true, false, true]);
    let removed = 0;
    for (let i = 0; i < PURGE_SLICES; i++) removed += store.purgeExpiredRevocations(t, i);
    expect(removed).toBe(2);
    expect(expired.some((id) => store.isRevoked(id))).toBe(false);
    expect(live.every((id) => store.isRevoked(id))).toBe(true);
    expect(store.purgeExpired(t, 3600).revocations).toBe(0);
  });

  it('keeps the cap by the signed issue time, and leaves the revocations to the slices when asked', () => {
    expect(store.purgeExpired(t, 3600, { revocations: false }).revocations).toBe(0);
    expect(expired.every((id) => store.isRevoked(id))).toBe(true);
    // A clock far ahead of the newest signed time removes nothing more than the signed time allows.
    expect(store.purgeExpiredRevocations(t + 365 * 86_400, 0)).toBe(1);
    expect(store.isRevoked(live[0] as string)).toBe(true);
  });

  it('refuses a slice outside the id space', () => {
    for (const bad of [-1, PURGE_SLICES, 1.5]) {
      expect(() => store.purgeExpiredRevocations(t, bad)).toThrow(StoreError);
    }
  });
});
