import { describe, expect, it } from 'vitest';
import { matches, summaryLines, Terminal, verdictLine, type DemoResult } from '../../cli/demo-terminal.js';

const ok: DemoResult = {
  label: 'green pass',
  expected: { colour: 'green', reason: 'OK' },
  got: { colour: 'green', reason: 'OK', opened: true },
};
const wrong: DemoResult = {
  label: 'forged pass',
  expected: { colour: 'red', reason: 'BAD_SIGNATURE' },
  got: { colour: 'red', reason: 'UNKNOWN_KEY', opened: false },
};
const missing: DemoResult = { label: 'expired pass', expected: { colour: 'red', reason: 'EXPIRED' }, got: null };

describe('demo terminal output', () => {
  it('counts only exact colour and reason matches', () => {
    expect([ok, wrong, missing].map(matches)).toEqual([true, false, false]);
    const lines = summaryLines([ok, wrong, missing]);
    expect(lines).toContain('  ok    green pass    green/OK → green/OK (gate opened)');
    expect(lines).toContain('  WRONG forged pass   red/BAD_SIGNATURE → red/UNKNOWN_KEY');
    expect(lines).toContain('  WRONG expired pass  red/EXPIRED → none (no verdict)');
    expect(lines.at(-1)).toBe('1 of 3 passes got the expected verdict.');
  });

  it('writes the colour as a word, and plain text where the output is not a terminal', () => {
    const t = new Terminal({ isTTY: false, write: () => true } as unknown as NodeJS.WriteStream);
    expect(t.colour).toBe(false);
    expect(t.ledBlocks([[0, 77, 0]], 'green')).toBe('LEDs green    ');
    const line = verdictLine(t, wrong, 'LEDs red      ', 'locked', 'unknown issuer key');
    expect(line).toContain('RED    UNKNOWN_KEY (unknown issuer key)');
    expect(line).toContain('[WRONG: expected red/BAD_SIGNATURE]');
    expect(line.includes('\u001b')).toBe(false);
  });
});
