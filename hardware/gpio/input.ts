// A digital input (door contact, exit button, turnstile rotation): raw edges from the line, debounced, mapped
// through polarity to a logical state (door open, button pressed, sensor triggered).
import type { Clock } from '../../common/clock.js';
import { Debouncer } from './debounce.js';
import { GpioError } from './errors.js';
import type { GpioLine, Level } from './line.js';
import type { DigitalInput, InputEvent, InputName, Polarity } from './types.js';

export interface InputOptions {
  readonly name: InputName;
  /** 'active-low': the logical state is true when the pin reads 0 (a switch to ground with a pull-up). */
  readonly polarity: Polarity;
  /** Debounce time in ms; 30–50 suits switches and reed contacts, 0 turns it off. */
  readonly debounceMs: number;
  readonly clock: Clock;
}

const logical = (polarity: Polarity, level: Level) => (level === 1) !== (polarity === 'active-low');

export class Input implements DigitalInput {
  readonly name: InputName;
  private readonly listeners = new Set<(e: InputEvent) => void>();
  private readonly debouncer: Debouncer;
  private closed = false;

  constructor(
    private readonly line: GpioLine,
    o: InputOptions,
  ) {
    if (!Number.isFinite(o.debounceMs) || o.debounceMs < 0 || o.debounceMs > 1000) {
      throw new GpioError('BAD_OPTIONS', `debounce ${o.debounceMs} ms is out of range (0..1000)`);
    }
    this.name = o.name;
    this.debouncer = new Debouncer({
      ms: o.debounceMs,
      initial: logical(o.polarity, line.read()),
      clock: o.clock,
      read: () => logical(o.polarity, line.read()),
      onChange: (active, at) => {
        const event: InputEvent = { input: this.name, active, at };
        for (const l of [...this.listeners]) l(event);
      },
    });
    line.watch((level) => {
      if (!this.closed) this.debouncer.sample(logical(o.polarity, level));
    });
  }

  get active(): boolean {
    return this.debouncer.state;
  }

  onChange(listener: (event: InputEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.debouncer.dispose();
    this.listeners.clear();
    this.line.release();
  }
}
