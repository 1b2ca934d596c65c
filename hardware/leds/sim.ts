// The simulated LED ring: records every frame it is shown and draws the ring in a terminal.
import type { LedRing, Rgb } from './types.js';
import { LedError, checkPixels } from './ws2812.js';

export interface LedFrameRecord {
  /** Clock time the frame was shown (ms). */
  readonly at: number;
  readonly pixels: readonly Rgb[];
}

export interface SimLedRingOptions {
  /** Frames kept (oldest forgotten first). Default 1000. */
  readonly keep?: number;
  readonly now?: () => number;
}

export class SimLedRing implements LedRing {
  readonly frames: LedFrameRecord[] = [];
  private closed = false;
  private readonly keep: number;
  private readonly now: () => number;

  constructor(
    readonly count: number,
    opts: SimLedRingOptions = {},
  ) {
    if (!Number.isInteger(count) || count < 1 || count > 1024)
      throw new LedError('BAD_OPTIONS', `LED count ${count} must be 1..1024`);
    this.keep = opts.keep ?? 1000;
    this.now = opts.now ?? (() => performance.now());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The pixels shown last (all off before the first frame and after close). */
  get current(): readonly Rgb[] {
    const last = this.frames.at(-1);
    return !this.closed && last ? last.pixels : Array.from({ length: this.count }, () => [0, 0, 0] as const);
  }

  show(pixels: readonly Rgb[]): void {
    if (this.closed) return;
    checkPixels(pixels, this.count);
    this.frames.push({ at: this.now(), pixels: pixels.map((p) => [p[0], p[1], p[2]] as const) });
    if (this.frames.length > this.keep) this.frames.shift();
  }

  close(): void {
    this.closed = true;
  }

  /**
   * The ring as 24-bit ANSI coloured blocks: one line of `count` blocks ('line'), or the LEDs placed on a circle
   * ('ring', pixel 0 at the top, clockwise). Unlit LEDs are drawn dim so the ring's shape stays visible.
   */
  renderAnsi(opts: { layout?: 'line' | 'ring' } = {}): string {
    const px = this.current;
    const block = (p: Rgb | undefined) => {
      const [r, g, b] = p && p.some((c) => c > 0) ? p : [40, 40, 40];
      return `\x1b[48;2;${r};${g};${b}m  \x1b[0m`;
    };
    if ((opts.layout ?? 'line') === 'line') return px.map(block).join('');
    const radius = Math.max(2, Math.round(this.count / 4));
    const size = radius * 2 + 1;
    const grid: (Rgb | null)[][] = Array.from({ length: size }, () => Array.from({ length: size }, () => null));
    px.forEach((p, i) => {
      const a = (2 * Math.PI * i) / this.count;
      const row = grid[Math.round(radius - radius * Math.cos(a))];
      if (row) row[Math.round(radius + radius * Math.sin(a))] = p;
    });
    return grid
      .map((row) =>
        row
          .map((p) => (p ? block(p) : '  '))
          .join('')
          .trimEnd(),
      )
      .join('\n');
  }
}
