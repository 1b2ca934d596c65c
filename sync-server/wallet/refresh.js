// When the wallet asks the server whether its passes were replaced or withdrawn: when the page opens, when it
// comes back online or into view, and every few minutes while it stays open and visible. After a failed round
// (no answer, a server error) the wait doubles, up to an hour; a good round sets it back. Nothing is asked while
// the page is hidden or the browser is offline: the next `online` or `visibilitychange` asks at once.
// Timers and the page's state are injected, so the schedule runs in Node for its tests.

/** Every 5 minutes while open; at most an hour between tries after failures. */
export const REFRESH_PERIOD_MS = 5 * 60_000;
export const REFRESH_MAX_MS = 60 * 60_000;

/**
 * @param {object} deps
 * @param {() => Promise<'ok' | 'failed' | 'offline'>} deps.run one refresh round
 * @param {(fn: () => void, ms: number) => unknown} deps.setTimer
 * @param {(handle: unknown) => void} deps.clearTimer
 * @param {() => boolean} deps.canAsk the page is visible and the browser online
 * @param {number} [deps.periodMs]
 * @param {number} [deps.maxMs]
 */
export function refreshSchedule(deps) {
  const period = deps.periodMs ?? REFRESH_PERIOD_MS;
  const max = deps.maxMs ?? REFRESH_MAX_MS;
  let wait = period;
  let timer = null;
  let running = null;

  function plan(ms) {
    if (timer !== null) deps.clearTimer(timer);
    timer = deps.setTimer(() => {
      timer = null;
      void now();
    }, ms);
  }

  /** Ask now (unless a round is running or the page cannot ask), then plan the next round. */
  function now() {
    if (running !== null) return running;
    if (!deps.canAsk()) {
      plan(wait);
      return Promise.resolve('offline');
    }
    running = deps
      .run()
      .catch(() => 'failed')
      .then((outcome) => {
        if (outcome === 'failed') wait = Math.min(wait * 2, max);
        else if (outcome === 'ok') wait = period;
        running = null;
        plan(wait);
        return outcome;
      });
    return running;
  }

  return {
    now,
    /** Plan the next round without asking now (the page just claimed a pass). */
    start() {
      if (timer === null && running === null) plan(wait);
    },
    /** Milliseconds until the next planned round (tests, and the page's own status). */
    get waitMs() {
      return wait;
    },
    stop() {
      if (timer !== null) deps.clearTimer(timer);
      timer = null;
    },
  };
}
