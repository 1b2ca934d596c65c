import { describe, expect, it } from 'vitest';
import { newLadderState, prepareLadder, regionAround, runLadder, type Ladder } from '../../../device/decode/passes.js';
import { loadGreyImage } from '../../../hardware/camera/image-file.js';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { corpusEntries } from './corpus-sample.js';

const ladder = (passes: Ladder['passes'], escalateEvery = 1, budgetMs = 60_000): Ladder => ({
  engine: 'zxing',
  passes,
  budgetMs,
  escalateEvery,
});

async function gateFrame(file: string): Promise<{ frame: GreyFrame; expected: string }> {
  const [e] = corpusEntries('gate-corpus', [file]);
  return { frame: await loadGreyImage(e!.path), expected: e!.expected };
}

const blank: GreyFrame = { width: 640, height: 480, data: new Uint8Array(640 * 480).fill(128), timestamp: 0, seq: 0 };

describe('pass ladder', () => {
  it('runs passes in order, stops at the first read, and reports which pass read it', async () => {
    const { frame, expected } = await gateFrame('images/ph-9433c22049.png');
    const l = ladder(['sharpen-2x', 'plain']);
    await prepareLadder(l);
    expect(await runLadder(l, frame)).toMatchObject({ text: expected, strategy: 'sharpen-2x' });
  });

  it('starts no further pass once the frame has used its budget', async () => {
    // A frame the plain pass misses but sharpen-2x reads (from the bench).
    const { frame, expected } = await gateFrame('images/ph-06444ed807.jpg');
    const l = ladder(['plain', 'sharpen-2x'], 1, 50);
    await prepareLadder(l);
    let t = 0;
    const slowClock = (): number => (t += 100); // every look at the clock sees 100 ms more
    expect(await runLadder(l, frame, slowClock)).toBeNull();
    let u = 0;
    const fastClock = (): number => (u += 1);
    expect(await runLadder(l, frame, fastClock)).toMatchObject({ text: expected, strategy: 'sharpen-2x' });
  });

  it('follows a code read in a recent frame with a crop around it, corners in frame pixels', async () => {
    // Plain misses this frame; only sharpen-2x reads it.
    const { frame, expected } = await gateFrame('images/ph-06444ed807.jpg');
    const l = ladder(['plain', 'sharpen-2x', 'denoise'], 1000);
    await prepareLadder(l);
    expect(await runLadder(ladder(['plain']), frame)).toBeNull();
    const state = newLadderState();
    const whole = await runLadder(l, frame, undefined, state);
    expect(whole).toMatchObject({ text: expected, strategy: 'sharpen-2x' });
    // The next frame: a whole-frame escalation is not due for 999 frames, but the crop reads it.
    const roi = await runLadder(l, frame, undefined, state);
    expect(roi).toMatchObject({ text: expected, strategy: 'sharpen-2x-roi' });
    expect(state.counts).toEqual({ first: 2, roi: 1, whole: 1 });
    roi!.corners!.forEach(([x, y], i) => {
      const [wx, wy] = whole!.corners![i]!;
      expect(Math.hypot(x - wx, y - wy)).toBeLessThan(3);
    });
    // Long after the last read the position is no evidence any more: nothing runs but the plain pass.
    state.lastHit!.age = 1000;
    expect(await runLadder(l, frame, undefined, state)).toBeNull();
    expect(state.counts).toEqual({ first: 3, roi: 1, whole: 1 });
  });

  it('does not run the escalation passes on most frames without a code', async () => {
    const l = ladder(['plain', 'sharpen-2x', 'denoise'], 4);
    await prepareLadder(l);
    const state = newLadderState();
    for (let i = 0; i < 12; i++) expect(await runLadder(l, blank, undefined, state)).toBeNull();
    // Frames 1, 5 and 9 escalate on the whole frame; no code was read, so no crop ever ran.
    expect(state.counts).toEqual({ first: 12, roi: 0, whole: 3 });
    const every = newLadderState();
    for (let i = 0; i < 3; i++) await runLadder(ladder(['plain', 'sharpen-2x'], 1), blank, undefined, every);
    expect(every.counts.whole).toBe(3);
  });

  it('reads a hard code held in view within escalateEvery frames, then follows it with cheap crops', async () => {
    // Plain misses this frame and locates nothing; only a whole-frame sharpen-2x reads it.
    const { frame, expected } = await gateFrame('images/ph-06444ed807.jpg');
    const l = ladder(['plain', 'sharpen-2x', 'denoise'], 4);
    await prepareLadder(l);
    const state = newLadderState();
    expect(await runLadder(l, blank, undefined, state)).toBeNull(); // the empty scene used the escalation
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await runLadder(l, frame, undefined, state));
    expect(results.slice(0, 3)).toEqual([null, null, null]);
    expect(results[3]).toMatchObject({ text: expected, strategy: 'sharpen-2x' });
    // The next frame of the same code: a crop around the last read's position reads it.
    expect(results[4]).toMatchObject({ text: expected, strategy: 'sharpen-2x-roi' });
    expect(state.counts).toMatchObject({ whole: 2, roi: 1 });
  });

  it('grows the crop around evidence by a margin and never below a minimum', () => {
    const r = regionAround([
      [100, 100],
      [200, 100],
      [200, 200],
      [100, 200],
    ]);
    expect(r.x0).toBeLessThan(100 - 30);
    expect(r.x1).toBeGreaterThan(200 + 30);
    const tiny = regionAround([
      [50, 50],
      [52, 50],
      [52, 52],
      [50, 52],
    ]);
    expect(tiny.x1 - tiny.x0).toBeGreaterThanOrEqual(48);
  });

  it('rejects an escalateEvery that is not a positive integer', async () => {
    for (const escalateEvery of [0, 1.5, Number.NaN, 10_000]) {
      await expect(prepareLadder(ladder(['plain'], escalateEvery))).rejects.toMatchObject({ code: 'BAD_CONFIG' });
    }
  });
});
