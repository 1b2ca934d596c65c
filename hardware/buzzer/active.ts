// An active buzzer (it makes its own tone when powered) on a GPIO output: on or off through the same line driver
// as the relay (hardware/gpio/line.ts; onoff on the Pi). Pitch and volume cannot be set.
import type { GpioLine } from '../gpio/line.js';
import { relayLevel } from '../gpio/relay.js';
import type { Polarity } from '../gpio/types.js';
import type { Buzzer } from './types.js';

export class ActiveBuzzer implements Buzzer {
  private on = false;
  private closed = false;
  constructor(
    private readonly line: GpioLine,
    private readonly polarity: Polarity,
  ) {
    line.write(relayLevel(polarity, false));
  }

  sound(_hz: number, volume: number): void {
    this.set(volume > 0);
  }

  silence(): void {
    this.set(false);
  }

  /** Off and released; a second call does nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.line.write(relayLevel(this.polarity, false));
    } finally {
      this.line.release();
    }
  }

  private set(on: boolean): void {
    if (on === this.on || this.closed) return;
    this.line.write(relayLevel(this.polarity, on));
    this.on = on;
  }
}
