// The gate relay. Safe state = released (not energised); polarity maps that onto a pin level. A pulse energises
// for N ms and ends by its own timer, whatever the caller does afterwards; set() latches; safe() releases now,
// synchronously, so it can run inside a process 'exit' handler.
import type { Logger } from 'pino';
import type { CancelTimer, Clock } from '../../common/clock.js';
import { GpioError } from './errors.js';
import type { GpioLine, Level } from './line.js';
import type { Polarity, RelayOutput } from './types.js';

export const MAX_PULSE_MS = 60_000;

export interface RelayEvent {
  readonly at: number;
  readonly active: boolean;
}

export interface RelayOptions {
  readonly polarity: Polarity;
  readonly clock: Clock;
  readonly log?: Logger;
  /** Told of every change of the energised state (the simulated twin records them). */
  readonly onChange?: (e: RelayEvent) => void;
  /** Told of every pulse request (after validation). */
  readonly onPulse?: (p: { at: number; ms: number }) => void;
}

/** The pin level that energises (true) or releases (false) a relay of this polarity. */
export function relayLevel(polarity: Polarity, active: boolean): Level {
  return (active !== (polarity === 'active-low') ? 1 : 0) as Level;
}

export class Relay implements RelayOutput {
  private energised = false;
  private latched = false;
  private pulseEnd = 0;
  private timer: CancelTimer | null = null;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly line: GpioLine,
    private readonly o: RelayOptions,
  ) {
    // the line was opened at the safe level; write it again in case it was already exported and driven
    this.line.write(relayLevel(o.polarity, false));
  }

  get active(): boolean {
    return this.energised;
  }

  pulse(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_PULSE_MS) {
      return Promise.reject(new GpioError('BAD_OPTIONS', `pulse length ${ms} ms is out of range (1..${MAX_PULSE_MS})`));
    }
    if (this.closed) return Promise.resolve();
    const now = this.o.clock.now();
    this.o.onPulse?.({ at: now, ms });
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.latched) {
      // held open already: the pulse is satisfied without touching the latch
      this.endPulseLater(now + ms, false);
      return done;
    }
    try {
      this.drive(true);
    } catch (e) {
      this.safe();
      return Promise.reject(e);
    }
    this.endPulseLater(Math.max(this.pulseEnd, now + ms), true);
    return done;
  }

  set(active: boolean): void {
    if (this.closed) return;
    this.clearTimer();
    this.latched = active;
    if (active) {
      this.drive(true);
    } else {
      this.drive(false);
    }
    this.release();
  }

  safe(): void {
    this.clearTimer();
    this.latched = false;
    this.pulseEnd = 0;
    try {
      this.line.write(relayLevel(this.o.polarity, false));
      if (this.energised) {
        this.energised = false;
        this.o.onChange?.({ at: this.o.clock.now(), active: false });
      }
    } finally {
      this.release();
    }
  }

  close(): void {
    if (this.closed) return;
    this.safe();
    this.closed = true;
    this.line.release();
  }

  private drive(active: boolean): void {
    this.line.write(relayLevel(this.o.polarity, active));
    if (this.energised !== active) {
      this.energised = active;
      this.o.onChange?.({ at: this.o.clock.now(), active });
    }
  }

  private endPulseLater(end: number, release: boolean): void {
    const { clock } = this.o;
    this.pulseEnd = Math.max(this.pulseEnd, end);
    this.clearTimer();
    this.timer = clock.setTimer(Math.max(0, this.pulseEnd - clock.now()), () => {
        this.timer = null;
        this.pulseEnd = 0;
        if (release && !this.latched) {
          try {
            this.drive(false);
          } catch (e) {
            this.o.log?.error({ err: e }, 'relay release failed; forcing the safe level');
            this.safe();
          }
        }
        this.release();
    });
  }

  private clearTimer(): void {
    this.timer?.();
    this.timer = null;
  }

  private release(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
