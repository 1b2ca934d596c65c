// A clock for tests: time only moves when the test says so, and due timers run in time order.
import type { CancelTimer, Clock } from '../../../device/clock.js';
import type { Timers } from '../../../hardware/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(startMs: number) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): CancelTimer {
    const entry: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((p) => p !== entry);
    };
  }

  /** Move time forward by `ms`, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.pending[0];
      if (!next || next.at > target) break;
      this.pending.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = target;
  }

  /**
   * Set the wall clock (e.g. someone setting it back). Pending timers stay the same distance away, as real timers
   * do: they run on a monotonic clock.
   */
  set(ms: number): void {
    const delta = ms - this.t;
    for (const p of this.pending) p.at += delta;
    this.t = ms;
  }

  get pendingTimers(): number {
    return this.pending.length;
  }

  /** The same time as the drivers' Timers (simulated relay pulses end on this clock). */
  timers(): Timers {
    return {
      now: () => this.t,
      setTimeout: (fn, ms) => this.setTimer(ms, fn),
      clearTimeout: (handle) => (handle as CancelTimer)(),
    };
  }
}
