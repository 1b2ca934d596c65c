// The wallet page's refresh schedule (sync-server/wallet/refresh.js), run in Node with hand-driven timers: every
// 5 minutes while the page can ask; after failures the wait doubles up to an hour and a good round resets it;
// nothing is asked while hidden or offline; a round already running is not started twice.
import { describe, expect, it } from 'vitest';
import { REFRESH_MAX_MS, REFRESH_PERIOD_MS, refreshSchedule } from '../../sync-server/wallet/refresh.js';
import type { RefreshOutcome } from '../../sync-server/wallet/refresh.js';

function harness(outcomes: RefreshOutcome[]) {
  const timers: { fn: () => void; ms: number }[] = [];
  let asks = 0;
  let canAsk = true;
  const schedule = refreshSchedule({
    run: async () => {
      asks++;
      const next = outcomes.shift() ?? 'ok';
      if (next === 'failed' && asks % 2 === 0) throw new Error('network'); // a throw counts as failed too
      return next;
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      const i = timers.indexOf(t as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
    canAsk: () => canAsk,
  });
  return {
    schedule,
    asks: () => asks,
    /** The one planned timer's delay, and fire it. */
    async fire(): Promise<number> {
      expect(timers).toHaveLength(1);
      const t = timers.shift()!;
      t.fn();
      await new Promise((r) => setTimeout(r, 0));
      return t.ms;
    },
    planned: () => timers.map((t) => t.ms),
    setCanAsk(v: boolean) {
      canAsk = v;
    },
  };
}

describe('wallet refresh schedule', () => {
  it('asks every 5 minutes; backs off by doubling to an hour on failures; a good round resets', async () => {
    const h = harness(['ok', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'ok']);
    await h.schedule.now();
    expect(h.asks()).toBe(1);
    expect(h.planned()).toEqual([REFRESH_PERIOD_MS]);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) waits.push(await h.fire());
    expect(waits).toEqual([5, 10, 20, 40, 60, 60, 60, 60].map((m) => m * 60_000));
    expect(h.asks()).toBe(9);
    expect(h.planned()).toEqual([REFRESH_PERIOD_MS]); // the last round was good
    expect(Math.max(...waits)).toBe(REFRESH_MAX_MS);
  });

  it('asks nothing while hidden or offline, and does not start a round twice', async () => {
    const h = harness([]);
    h.setCanAsk(false);
    expect(await h.schedule.now()).toBe('offline');
    await h.fire();
    expect(h.asks()).toBe(0);
    h.setCanAsk(true);
    const a = h.schedule.now();
    const b = h.schedule.now();
    expect(a).toBe(b);
    await a;
    expect(h.asks()).toBe(1);
    expect(h.planned()).toEqual([REFRESH_PERIOD_MS]);
    h.schedule.stop();
    expect(h.planned()).toEqual([]);
    h.schedule.start();
    expect(h.planned()).toEqual([REFRESH_PERIOD_MS]);
  });
});
