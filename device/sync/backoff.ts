// When to poll next: the normal interval with jitter after a good cycle, exponential backoff with a cap after
// failures. Pure; the random source is injected so tests can pin the bounds.

export interface PollTiming {
  /** Interval between polls while the server answers. */
  readonly pollIntervalMs: number;
  /** Fraction (0..1) by which each delay is randomly shortened or spread, so many gates do not poll in step. */
  readonly jitter: number;
  /** Delay after the first failed cycle; doubles with every further failure. */
  readonly backoffBaseMs: number;
  /** Upper bound of the backoff delay. */
  readonly backoffMaxMs: number;
}

export const DEFAULT_TIMING: PollTiming = {
  pollIntervalMs: 30_000,
  jitter: 0.2,
  backoffBaseMs: 2_000,
  backoffMaxMs: 300_000,
};

/** The un-jittered backoff delay after `failures` consecutive failed cycles (failures ≥ 1). */
export function backoffCeiling(timing: PollTiming, failures: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(timing.backoffMaxMs, timing.backoffBaseMs * 2 ** exponent);
}

/**
 * Milliseconds until the next cycle.
 * - After a good cycle: `pollIntervalMs × (1 ± jitter)`, uniformly.
 * - After `failures` failed cycles: `ceiling × (1 − jitter × r)`, so never above the cap and never below
 *   `(1 − jitter)` of the ceiling.
 * `random` returns a number in [0, 1).
 */
export function nextDelay(timing: PollTiming, failures: number, random: () => number): number {
  const r = clampUnit(random());
  if (failures <= 0) {
    return Math.round(timing.pollIntervalMs * (1 + timing.jitter * (2 * r - 1)));
  }
  return Math.round(backoffCeiling(timing, failures) * (1 - timing.jitter * r));
}

function clampUnit(x: number): number {
  if (!Number.isFinite(x) || x < 0) return 0;
  return x >= 1 ? 1 - Number.EPSILON : x;
}
