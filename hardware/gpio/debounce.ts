// Debounce for a mechanical contact: a new level counts only once the raw signal has held it for `ms`.
// Pure logic over an injected clock, so tests can step time; `ms` 0 passes every change through at once.
import type { CancelTimer, Clock } from '../../common/clock.js';

export interface DebouncerOptions {
  readonly ms: number;
  readonly initial: boolean;
  readonly clock: Clock;
  /** Read the line again when the time is up (an edge can be missed); default: trust the last sample. */
  readonly read?: () => boolean;
  /** The stable state changed; `at` is when the raw signal last changed (the moment it settled). */
  readonly onChange: (state: boolean, at: number) => void;
}

export class Debouncer {
  private stable: boolean;
  private raw: boolean;
  private rawAt: number;
  private timer: CancelTimer | null = null;

  constructor(private readonly o: DebouncerOptions) {
    this.stable = o.initial;
    this.raw = o.initial;
    this.rawAt = o.clock.now();
  }

  get state(): boolean {
    return this.stable;
  }

  /** A raw sample or edge from the line. */
  sample(state: boolean): void {
    const { clock } = this.o;
    if (state === this.raw && this.timer !== null) return; // no change while waiting
    this.raw = state;
    this.rawAt = clock.now();
    this.timer?.();
    this.timer = null;
    if (this.o.ms <= 0) {
      this.settle();
      return;
    }
    this.timer = clock.setTimer(this.o.ms, () => {
      this.timer = null;
      this.settle();
    });
  }

  dispose(): void {
    this.timer?.();
    this.timer = null;
  }

  private settle(): void {
    if (this.o.read && this.o.ms > 0) this.raw = this.o.read();
    if (this.raw === this.stable) return;
    this.stable = this.raw;
    this.o.onChange(this.stable, this.rawAt);
  }
}
