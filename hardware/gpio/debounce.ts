// Debounce for a mechanical contact: a new level counts only once the raw signal has held it for `ms`.
// Pure logic over injected timers, so tests can step time; `ms` 0 passes every change through at once.
import type { Timers } from '../clock.js';

export interface DebouncerOptions {
  readonly ms: number;
  readonly initial: boolean;
  readonly timers: Timers;
  /** Read the line again when the time is up (an edge can be missed); default: trust the last sample. */
  readonly read?: () => boolean;
  /** The stable state changed; `at` is when the raw signal last changed (the moment it settled). */
  readonly onChange: (state: boolean, at: number) => void;
}

export class Debouncer {
  private stable: boolean;
  private raw: boolean;
  private rawAt: number;
  private timer: unknown = null;

  constructor(private readonly o: DebouncerOptions) {
    this.stable = o.initial;
    this.raw = o.initial;
    this.rawAt = o.timers.now();
  }

  get state(): boolean {
    return this.stable;
  }

  /** A raw sample or edge from the line. */
  sample(state: boolean): void {
    const { timers } = this.o;
    if (state === this.raw && this.timer !== null) return; // no change while waiting
    this.raw = state;
    this.rawAt = timers.now();
    if (this.timer !== null) timers.clearTimeout(this.timer);
    this.timer = null;
    if (this.o.ms <= 0) {
      this.settle();
      return;
    }
    this.timer = timers.setTimeout(() => {
      this.timer = null;
      this.settle();
    }, this.o.ms);
  }

  dispose(): void {
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private settle(): void {
    if (this.o.read && this.o.ms > 0) this.raw = this.o.read();
    if (this.raw === this.stable) return;
    this.stable = this.raw;
    this.o.onChange(this.stable, this.rawAt);
  }
}
