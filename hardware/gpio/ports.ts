// Relay and inputs over any GpioLineFactory: onoff on a Pi, recording lines in the simulated twin.
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { GpioError } from './errors.js';
import { Input } from './input.js';
import type { GpioLineFactory } from './line.js';
import { Relay, relayLevel } from './relay.js';
import type { RelayOptions } from './relay.js';
import type { DigitalInput, GpioPorts, InputName, Polarity } from './types.js';

export interface InputPinConfig {
  /** BCM number. */
  readonly pin: number;
  readonly polarity: Polarity;
  readonly debounceMs: number;
}

export interface GpioPinsConfig {
  readonly relay: { readonly pin: number; readonly polarity: Polarity };
  readonly inputs: Partial<Record<InputName, InputPinConfig>>;
}

export class Ports implements GpioPorts {
  private closed = false;
  constructor(
    readonly relay: Relay,
    readonly inputs: Partial<Record<InputName, DigitalInput>>,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const i of Object.values(this.inputs)) i?.close();
    this.relay.close();
  }
}

export function openPorts(
  lines: GpioLineFactory,
  cfg: GpioPinsConfig,
  deps: { clock: Clock; log?: Logger; relayHooks?: Pick<RelayOptions, 'onChange' | 'onPulse'> },
): Ports {
  const checkPin = (pin: number, what: string) => {
    if (!Number.isInteger(pin) || pin < 0 || pin > 27) {
      throw new GpioError('BAD_PIN', `${what}: BCM pin ${pin} is not on the 40-pin header (0..27)`);
    }
  };
  checkPin(cfg.relay.pin, 'relay');
  if (cfg.relay.pin < 9)
    deps.log?.warn(
      { pin: cfg.relay.pin },
      'relay on GPIO 0-8: these have pull-ups at power-on and may energise it while booting',
    );
  const used = new Map<number, string>([[cfg.relay.pin, 'relay']]);
  for (const [name, c] of Object.entries(cfg.inputs)) {
    if (!c) continue;
    checkPin(c.pin, name);
    const other = used.get(c.pin);
    if (other) throw new GpioError('BAD_PIN', `BCM pin ${c.pin} is used by both ${other} and ${name}`);
    used.set(c.pin, name);
  }
  const relayLine = lines.output(cfg.relay.pin, relayLevel(cfg.relay.polarity, false));
  const relay = new Relay(relayLine, {
    polarity: cfg.relay.polarity,
    clock: deps.clock,
    ...(deps.log ? { log: deps.log } : {}),
    ...deps.relayHooks,
  });
  const inputs: Partial<Record<InputName, DigitalInput>> = {};
  try {
    for (const [name, c] of Object.entries(cfg.inputs) as [InputName, InputPinConfig | undefined][]) {
      if (!c) continue;
      inputs[name] = new Input(lines.input(c.pin), {
        name,
        polarity: c.polarity,
        debounceMs: c.debounceMs,
        clock: deps.clock,
      });
    }
  } catch (e) {
    for (const i of Object.values(inputs)) i?.close();
    relay.close();
    throw e;
  }
  return new Ports(relay, inputs);
}
