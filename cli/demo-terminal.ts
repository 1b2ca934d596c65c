// What the demo prints: what a person at the gate would see (the LED ring as coloured blocks, the relay, each
// verdict and its reason), a progress line while it works, and a summary. Colour only on a terminal that wants
// it (NO_COLOR is honoured); the summary lines have a fixed shape that test/cli/demo.test.ts reads.
import type { Colour } from '../protocol/index.js';

export interface Got {
  readonly colour: Colour;
  readonly reason: string;
  readonly opened: boolean;
}

export interface DemoResult {
  readonly label: string;
  readonly expected: { readonly colour: Colour; readonly reason: string };
  readonly got: Got | null;
}

export function matches(r: DemoResult): boolean {
  return r.got !== null && r.got.colour === r.expected.colour && r.got.reason === r.expected.reason;
}

export class Terminal {
  readonly tty: boolean;
  readonly colour: boolean;
  private progressShown = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.tty = out.isTTY === true;
    this.colour = this.tty && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
  }

  /** A line that stays. */
  line(text = ''): void {
    this.clearProgress();
    this.out.write(text + '\n');
  }

  /** A line that the next output replaces (only on a terminal; elsewhere progress is left out). */
  progress(text: string): void {
    if (!this.tty) return;
    const width = Math.max(20, (this.out.columns ?? 80) - 1);
    this.out.write(`\r\x1b[2K${text.length > width ? text.slice(0, width - 1) + '…' : text}`);
    this.progressShown = true;
  }

  clearProgress(): void {
    if (this.progressShown) this.out.write('\r\x1b[2K');
    this.progressShown = false;
  }

  bold(text: string): string {
    return this.colour ? `\x1b[1m${text}\x1b[0m` : text;
  }

  dim(text: string): string {
    return this.colour ? `\x1b[2m${text}\x1b[0m` : text;
  }

  /**
   * The LED ring as a row of coloured blocks. The ring's pixels are brightness-capped for the eye at the gate;
   * here each is scaled up to full brightness so its colour reads on a screen. Without colour: the pattern name.
   */
  ledBlocks(pixels: readonly (readonly [number, number, number])[], pattern: string): string {
    if (!this.colour) return `LEDs ${pattern.padEnd(9)}`;
    return pixels
      .map(([r, g, b]) => {
        const max = Math.max(r, g, b);
        const k = max > 0 ? 255 / max : 0;
        const [R, G, B] = max > 0 ? [r * k, g * k, b * k].map(Math.round) : [40, 40, 40];
        return `\x1b[48;2;${R};${G};${B}m \x1b[0m`;
      })
      .join('');
  }

  /** The colour's name, in its colour where the terminal can show it: never colour alone. */
  verdictWord(colour: Colour): string {
    const word = colour.toUpperCase().padEnd(6);
    if (!this.colour) return word;
    const code = { green: '30;42', yellow: '30;43', red: '97;41' }[colour];
    return `\x1b[1;${code}m ${word}\x1b[0m`;
  }
}

/** One decided code, as the gate showed it. */
export function verdictLine(t: Terminal, r: DemoResult, ledBlocks: string, relay: string, reasonText: string): string {
  const ok = matches(r);
  const mark = ok ? 'ok' : 'WRONG';
  const got = r.got ? `${t.verdictWord(r.got.colour)} ${r.got.reason} (${reasonText})` : 'no verdict';
  return `${ledBlocks}  relay ${relay.padEnd(15)} ${got}  ← ${r.label}${ok ? '' : `  [${mark}: expected ${r.expected.colour}/${r.expected.reason}]`}`;
}

/** The summary: one fixed-shape line per pass, then the count. */
export function summaryLines(results: readonly DemoResult[]): string[] {
  const width = Math.max(...results.map((r) => r.label.length));
  const lines = ['Summary (expected → got):'];
  for (const r of results) {
    const expected = `${r.expected.colour}/${r.expected.reason}`;
    const got = r.got ? `${r.got.colour}/${r.got.reason}${r.got.opened ? ' (gate opened)' : ''}` : 'none (no verdict)';
    lines.push(`  ${(matches(r) ? 'ok' : 'WRONG').padEnd(5)} ${r.label.padEnd(width)}  ${expected} → ${got}`);
  }
  const good = results.filter(matches).length;
  lines.push(`${good} of ${results.length} passes got the expected verdict.`);
  return lines;
}
