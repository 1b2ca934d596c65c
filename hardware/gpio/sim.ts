// The simulated GPIO: the real Relay and Input classes over in-memory lines. It records what the relay was asked
// to do (pulses with their time and length, every change of state, every pin write) and lets a test or the demo
// drive the inputs: press the exit button, open the door, turn the turnstile.
import type { Logger } from 'pino';
import { monotonicClock } from '../../common/clock.js';
import type { Clock } from '../../common/clock.js';
import { GpioError } from './errors.js';
import type { GpioLine, GpioLineFactory, Level } from './line.js';
import { openPorts } from './ports.js';
import type { GpioPinsConfig, Ports } from './ports.js';
import type { RelayEvent } from './relay.js';
import type { DigitalInput, GpioPorts, InputName, Polarity, RelayOutput } from './types.js';

/** An in-memory line: a level, the writes made to it, and edge listeners. */
export class SimLine implements GpioLine {
  readonly writes: Level[] = [];
  private readonly listeners: ((l: Level) => void)[] = [];
  released = false;

  constructor(public level: Level) {}

  read(): Level {
    return this.level;
  }

  write(level: Level): void {
    this.writes.push(level);
    this.level = level;
  }

  watch(listener: (l: Level) => void): void {
    this.listeners.push(listener);
  }

  release(): void {
    this.released = true;
    this.listeners.length = 0;
  }

  /** Drive the line from outside (an input's wiring); edges reach the watchers. */
  drive(level: Level): void {
    if (level === this.level) return;
    this.level = level;
    for (const l of [...this.listeners]) l(level);
  }
}

export const DEFAULT_SIM_PINS: GpioPinsConfig = {
  relay: { pin: 17, polarity: 'active-high' },
  inputs: {
    door: { pin: 27, polarity: 'active-high', debounceMs: 0 },
    exit: { pin: 22, polarity: 'active-low', debounceMs: 0 },
    rotation: { pin: 23, polarity: 'active-low', debounceMs: 0 },
  },
};

export interface SimGpioOptions {
  /** Pins and polarities as on the real device; debounce defaults to 0 here so input events are immediate. */
  readonly pins?: GpioPinsConfig;
  readonly clock?: Clock;
  readonly log?: Logger;
}

const levelOf = (polarity: Polarity, active: boolean): Level => (active !== (polarity === 'active-low') ? 1 : 0);

export class SimGpio implements GpioPorts {
  /** Every pulse request, in order. */
  readonly pulses: { at: number; ms: number }[] = [];
  /** Every change of the relay's energised state, in order. */
  readonly relayChanges: RelayEvent[] = [];
  readonly lines = new Map<number, SimLine>();
  private readonly ports: Ports;
  private readonly pins: GpioPinsConfig;
  private readonly clock: Clock;

  constructor(opts: SimGpioOptions = {}) {
    this.pins = opts.pins ?? DEFAULT_SIM_PINS;
    this.clock = opts.clock ?? monotonicClock;
    const factory: GpioLineFactory = {
      output: (bcm, initial) => this.line(bcm, initial),
      input: (bcm) => {
        const entry = Object.values(this.pins.inputs).find((c) => c?.pin === bcm);
        return this.line(bcm, levelOf(entry?.polarity ?? 'active-high', false));
      },
    };
    this.ports = openPorts(factory, this.pins, {
      clock: this.clock,
      ...(opts.log ? { log: opts.log } : {}),
      relayHooks: { onPulse: (p) => this.pulses.push(p), onChange: (e) => this.relayChanges.push(e) },
    });
  }

  get relay(): RelayOutput {
    return this.ports.relay;
  }

  get inputs(): Partial<Record<InputName, DigitalInput>> {
    return this.ports.inputs;
  }

  /** The relay pin's current level (what a meter on the pin would show). */
  get relayPinLevel(): Level {
    return this.lines.get(this.pins.relay.pin)?.level ?? 0;
  }

  close(): void {
    this.ports.close();
  }

  /** Set an input's logical state (door open, button held, sensor triggered) as the wiring would. */
  setInput(name: InputName, active: boolean): void {
    const cfg = this.pins.inputs[name];
    if (!cfg) throw new GpioError('BAD_PIN', `the simulated GPIO has no ${name} input configured`);
    this.lines.get(cfg.pin)?.drive(levelOf(cfg.polarity, active));
  }

  /**
   * Press and release a button (default the exit button). Where the input is debounced, the button is held for
   * twice the debounce time (plus 20 ms) before it is released, as a finger would: an instant press and release
   * is a glitch that the debouncer rightly ignores.
   */
  press(name: InputName = 'exit'): void {
    this.setInput(name, true);
    const debounceMs = this.pins.inputs[name]?.debounceMs ?? 0;
    if (debounceMs <= 0) {
      this.setInput(name, false);
      return;
    }
    this.clock.setTimer(debounceMs * 2 + 20, () => this.setInput(name, false));
  }

  setDoor(open: boolean): void {
    this.setInput('door', open);
  }

  /** One turn of the turnstile: the rotation sensor triggers and releases. */
  rotate(): void {
    this.press('rotation');
  }

  private line(bcm: number, initial: Level): SimLine {
    const l = new SimLine(initial);
    this.lines.set(bcm, l);
    return l;
  }
}
