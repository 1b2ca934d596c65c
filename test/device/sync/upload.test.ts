import { describe, expect, it } from 'vitest';
import { idempotencyKey, toWireEvent } from '../../../device/sync/upload.js';
import type { UploadableEvent } from '../../../device/sync/types.js';

const hash = 'a'.repeat(32);
const events: UploadableEvent[] = [
  {
    id: 7,
    at: 1_800_000_000,
    colour: 'green',
    reason: 'OK',
    passHash: hash,
    direction: 'in',
    opened: true,
    passed: true,
  },
  {
    id: 8,
    at: 1_800_000_005,
    colour: 'red',
    reason: 'REVOKED',
    passHash: hash,
    direction: 'in',
    opened: false,
    passed: true,
  },
];

describe('event upload', () => {
  it('derives the same idempotency key for the same events, whatever else changed', () => {
    const again = events.map((e) => ({ ...e }));
    expect(idempotencyKey('dev1', again, { uploadPassHashes: false })).toBe(
      idempotencyKey('dev1', events, { uploadPassHashes: false }),
    );
    expect(idempotencyKey('dev1', events, { uploadPassHashes: false })).toMatch(/^ev1-[A-Za-z0-9_-]{43}$/);
  });

  it('derives another key for other events, another device or another upload policy', () => {
    const base = idempotencyKey('dev1', events, { uploadPassHashes: false });
    expect(idempotencyKey('dev2', events, { uploadPassHashes: false })).not.toBe(base);
    expect(idempotencyKey('dev1', events.slice(0, 1), { uploadPassHashes: false })).not.toBe(base);
    expect(idempotencyKey('dev1', [{ ...events[0]!, id: 9 }, events[1]!], { uploadPassHashes: false })).not.toBe(base);
    expect(idempotencyKey('dev1', events, { uploadPassHashes: true })).not.toBe(base);
    // The same event sent again after its grant was annulled is another batch, not a conflicting replay.
    expect(
      idempotencyKey('dev1', [events[0]!, { ...events[1]!, passed: false }], { uploadPassHashes: false }),
    ).not.toBe(base);
  });

  it('drops the pass hash unless the policy allows it', () => {
    expect(toWireEvent(events[0]!, { uploadPassHashes: false }).passHash).toBeNull();
    expect(toWireEvent(events[0]!, { uploadPassHashes: true }).passHash).toBe(hash);
  });

  it('copies only whitelisted fields and never anything else the store row carries', () => {
    const row = {
      ...events[0]!,
      passId: 'f'.repeat(32),
      text: 'GC1:SECRET',
      claims: { passId: 'x' },
    } as UploadableEvent;
    const wire = toWireEvent(row, { uploadPassHashes: true });
    expect(Object.keys(wire).sort()).toEqual([
      'at',
      'colour',
      'direction',
      'notPassed',
      'opened',
      'passHash',
      'reason',
    ]);
    expect(JSON.stringify(wire)).not.toContain('SECRET');
  });

  it('marks annulled grants as not passed and replaces an odd reason text', () => {
    const annulled = toWireEvent({ ...events[0]!, passed: false }, { uploadPassHashes: false });
    expect(annulled.notPassed).toBe(true);
    expect(
      toWireEvent({ ...events[0]!, reason: 'GC1:some text with spaces' }, { uploadPassHashes: false }).reason,
    ).toBe('OTHER');
  });
});
