// The buzzer contract: sound at a pitch and a volume, or be silent. Patterns and timing live above it
// (hardware/buzzer/pattern.ts, device/buzzer.ts); a driver only sets the output.

export interface Buzzer {
  /** Sound at `hz` and `volume` (1–100). An active buzzer has its own pitch and no volume: it is simply on. */
  sound(hz: number, volume: number): void;
  silence(): void;
  /** Silent, and the output released. */
  close(): void | Promise<void>;
}

export type BuzzerKind = 'none' | 'active' | 'pwm';
