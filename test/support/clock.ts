// The one manual clock of the test suites (device, hardware, server): it implements common/clock.ts, time moves
// only when the test says so, and due timers run in time order. Units are in the names: T0_S is epoch seconds,
// T0_MS the same instant in milliseconds.
import type { CancelTimer, Clock } from '../../common/clock.js';

/** "Now" of the tests, epoch seconds (2027-01-15). */
export const T0_S = 1_800_000_000;
/** The same instant, epoch milliseconds. */
export const T0_MS = T0_S * 1000;

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];

  /** Start at `startMs` (default T0_MS; hardware tests start at 0 like a monotonic clock). */
  constructor(startMs: number = T0_MS) {
    this.t = startMs;
  }

  /** Milliseconds. An arrow property, so `clock.now` can be handed over as a `() => number`. */
  readonly now = (): number => this.t;

  /** Whole seconds of the current time (epoch seconds from T0_MS). */
  get seconds(): number {
    return Math.floor(this.t / 1000);
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

  /** Move time forward by `s` seconds (see advance). */
  advanceSeconds(s: number): void {
    this.advance(s * 1000);
  }

  /**
   * Jump forward by `ms` as a machine waking from suspend does: the time moves at once, then each timer that fell
   * due runs once, at the new time (a periodic timer does not catch up on every period it missed). For tests that
   * skip days on a server whose refresh runs every minute.
   */
  jump(ms: number): void {
    this.t += ms;
    const due = this.pending.filter((p) => p.at <= this.t).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.pending = this.pending.filter((p) => p.at > this.t);
    for (const p of due) p.fn();
  }

  /** Jump forward by `s` seconds (see jump). */
  jumpSeconds(s: number): void {
    this.jump(s * 1000);
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
}
