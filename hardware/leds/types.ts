// The LED ring contract: show one colour per pixel. Brightness cap and gamma live in the driver.

export type Rgb = readonly [r: number, g: number, b: number];

export interface LedRing {
  readonly count: number;
  /** Show these pixels (length must equal `count`); never blocks for long. */
  show(pixels: readonly Rgb[]): void;
  close(): void;
}
