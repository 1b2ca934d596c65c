import { describe, expect, it } from 'vitest';
import { prepareLadder, runLadder } from '../../../device/decode/passes.js';
import { loadGreyImage } from '../../../hardware/camera/image-file.js';
import { corpusEntries } from './corpus-sample.js';

describe('pass ladder', () => {
  it('runs passes in order, stops at the first read, and reports which pass read it', async () => {
    const [e] = corpusEntries('gate-corpus', ['images/ph-9433c22049.png']);
    const f = await loadGreyImage(e!.path);
    const ladder = { engine: 'zxing' as const, passes: ['sharpen-2x', 'plain'] as const, budgetMs: 60_000 };
    await prepareLadder(ladder);
    expect(await runLadder(ladder, f)).toMatchObject({ text: e!.expected, strategy: 'sharpen-2x' });
  });

  it('starts no further pass once the frame has used its budget', async () => {
    // A frame the plain pass misses but sharpen-2x reads (from the bench).
    const [e] = corpusEntries('gate-corpus', ['images/ph-23af7012b3.jpg']);
    const f = await loadGreyImage(e!.path);
    const ladder = { engine: 'zxing' as const, passes: ['plain', 'sharpen-2x'] as const, budgetMs: 50 };
    await prepareLadder(ladder);
    let t = 0;
    const slowClock = (): number => (t += 100); // every look at the clock sees 100 ms more
    expect(await runLadder(ladder, f, slowClock)).toBeNull();
    let u = 0;
    const fastClock = (): number => (u += 1);
    expect(await runLadder(ladder, f, fastClock)).toMatchObject({ text: e!.expected, strategy: 'sharpen-2x' });
  });
});
