// The transport seam of the GPIO drivers: one line (pin) with raw levels. onoff provides the real lines; the
// simulated twin and the tests provide recording ones. Polarity and debounce live above this seam.

export type Level = 0 | 1;

export interface GpioLine {
  read(): Level;
  write(level: Level): void;
  /** Called on every raw edge (both directions) with the new level. */
  watch(listener: (level: Level) => void): void;
  /** Stop watching and release the line. */
  release(): void;
}

export interface GpioLineFactory {
  /** An output already driven to `initial` (no glitch through the other level). */
  output(bcm: number, initial: Level): GpioLine;
  input(bcm: number): GpioLine;
}
