// The GPIO contract: one relay output and up to three inputs. BCM pin numbers everywhere in config.

export type Polarity = 'active-high' | 'active-low';

export interface RelayOutput {
  /** True while the relay is energised (gate released). */
  readonly active: boolean;
  /** Energise for `ms` milliseconds, then return to the safe state; the pulse always ends. */
  pulse(ms: number): Promise<void>;
  /** Hold energised (`true`) or release (`false`), for doors with a strike held open. */
  set(active: boolean): void;
  /** Drive the safe (released) level now, synchronously: used on every exit path. */
  safe(): void;
  close(): void;
}

/**
 * fire: the fire-alarm release loop (normally closed; active = loop open: alarm or a cut wire). lockdown: a key
 * switch or the building's lockdown output (active = lockdown). tamper: the enclosure's lid switch (normally closed;
 * active = lid open or a cut wire).
 */
export type InputName = 'door' | 'exit' | 'rotation' | 'fire' | 'lockdown' | 'tamper';

export interface InputEvent {
  readonly input: InputName;
  /** Logical state after the change: door open, button pressed, rotation sensor triggered. */
  readonly active: boolean;
  /** Monotonic time in milliseconds. */
  readonly at: number;
}

export interface DigitalInput {
  readonly name: InputName;
  readonly active: boolean;
  /** Debounced edge events; returns a function that removes the listener. */
  onChange(listener: (event: InputEvent) => void): () => void;
  close(): void;
}

export interface GpioPorts {
  readonly relay: RelayOutput;
  readonly inputs: Partial<Record<InputName, DigitalInput>>;
  close(): void;
}
