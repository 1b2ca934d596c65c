import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeiling, nextDelay } from '../../../device/sync/backoff.js';
import type { PollTiming } from '../../../device/sync/backoff.js';
import { retryAfterSeconds } from '../../../device/sync/http.js';

const timing: PollTiming = { pollIntervalMs: 30_000, jitter: 0.2, backoffBaseMs: 2_000, backoffMaxMs: 300_000 };

describe('poll timing', () => {
  it('spreads the normal interval by ± jitter', () => {
    expect(nextDelay(timing, 0, () => 0)).toBe(24_000);
    expect(nextDelay(timing, 0, () => 0.5)).toBe(30_000);
    expect(nextDelay(timing, 0, () => 0.999_999)).toBe(36_000);
  });

  it('doubles the backoff with every failure up to the cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50].map((n) => backoffCeiling(timing, n));
    expect(ceilings).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000,
    ]);
  });

  it('jitters a backoff delay downwards only, so the cap holds', () => {
    expect(nextDelay(timing, 3, () => 0)).toBe(8_000);
    expect(nextDelay(timing, 3, () => 0.5)).toBe(7_200);
    expect(nextDelay(timing, 3, () => 0.999_999)).toBe(6_400);
  });

  it('stays within its bounds for any random value and failure count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (failures, r) => {
        const d = nextDelay(timing, failures, () => r);
        if (failures === 0) {
          expect(d).toBeGreaterThanOrEqual(24_000);
          expect(d).toBeLessThanOrEqual(36_000);
        } else {
          const ceiling = backoffCeiling(timing, failures);
          expect(d).toBeLessThanOrEqual(ceiling);
          expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling * 0.8));
          expect(d).toBeLessThanOrEqual(300_000);
        }
      }),
    );
  });

  it('treats a broken random source as 0 instead of producing NaN delays', () => {
    expect(nextDelay(timing, 0, () => Number.NaN)).toBe(24_000);
    expect(nextDelay(timing, 2, () => -5)).toBe(4_000);
    expect(nextDelay(timing, 2, () => 7)).toBe(3_200);
  });
});

describe('retryAfterSeconds', () => {
  it('reads seconds or an HTTP date, and ignores what is absent, past or unreadable', () => {
    const now = Date.UTC(2027, 0, 1, 12, 0, 0);
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds('Fri, 01 Jan 2027 12:01:30 GMT', now)).toBe(90);
    expect(retryAfterSeconds('Fri, 01 Jan 2027 11:59:00 GMT', now)).toBeNull();
    for (const h of [null, '', '0', '-5', 'soon']) expect(retryAfterSeconds(h, now)).toBeNull();
  });
});
