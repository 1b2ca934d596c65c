// The decoder pool reuses the luma planes its workers hand back (a frame's copy goes into one instead of a new
// allocation): however planes are recycled between first passes and escalations, every frame is read from its
// own pixels, the caller's frame is never touched, and zxing's reused PGM buffer is never shared by two reads
// that overlap on one thread.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DecoderPool, type DecodeHit } from '../../../device/decode/index.js';
import { loadZxing, zxingRead } from '../../../device/decode/zxing-engine.js';
import { loadGreyImage } from '../../../hardware/camera/image-file.js';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { corpusEntries, GATE_SAMPLE } from './corpus-sample.js';

const [a, b, c] = corpusEntries('gate-corpus', GATE_SAMPLE.slice(0, 3));
const [hard] = corpusEntries('gate-corpus', ['images/ph-12950bc92d.png']);

function sum(f: GreyFrame): number {
  let s = 0;
  for (let i = 0; i < f.data.length; i++) s = (s * 31 + f.data[i]!) >>> 0;
  return s;
}

describe('decoder pool planes', () => {
  it('reads every frame from its own pixels while planes go round, and leaves the caller’s frames alone', async () => {
    const frames = await Promise.all([a, b, c, hard].map((e) => loadGreyImage(e!.path, { width: 640, height: 480 })));
    const texts = [a, b, c, hard].map((e) => e!.expected);
    const before = frames.map(sum);
    const pool = await DecoderPool.start({ engine: 'zxing', budgetMs: 60_000 }, 2);
    try {
      const order = [3, 0, 1, 2, 0, 3, 1, 2, 0, 1, 2, 3, 0, 1, 2, 0, 1, 2];
      const late: [number, DecodeHit][] = [];
      const read: [number, string | null][] = [];
      // Two frames in flight at a time, as the pipeline hands them over.
      for (let k = 0; k < order.length; k += 2) {
        const pair = order.slice(k, k + 2);
        const hits = await Promise.all(pair.map((i) => pool.decode(frames[i]!, (h) => late.push([i, h]))));
        pair.forEach((i, j) => read.push([i, hits[j]?.text ?? null]));
      }
      for (let t = 0; t < 3000 && (pool.stats().escalating > 0 || pool.stats().waiting > 0); t++) await sleep(10);
      // The plain pass reads frames 0–2 and misses the hard one (3), which its escalations read later.
      expect(read).toEqual(order.map((i) => [i, i === 3 ? null : texts[i]]));
      for (const [i, h] of late) expect(h.text).toBe(texts[i]);
      expect(late.length).toBeGreaterThan(0); // the hard frame's escalations ran on recycled planes and read it
      expect(frames.map(sum)).toEqual(before);
      for (const f of frames) expect(f.data.byteLength).toBe(640 * 480);
    } finally {
      await pool.close();
    }
  });

  it('gives two overlapping zxing reads on one thread a buffer each', async () => {
    await loadZxing();
    const [fa, fb] = await Promise.all([a, b].map((e) => loadGreyImage(e!.path, { width: 640, height: 480 })));
    const hits = await Promise.all([zxingRead(fa!, {}), zxingRead(fb!, {}), zxingRead(fa!, {})]);
    expect(hits.map((h) => h?.text)).toEqual([a!.expected, b!.expected, a!.expected]);
    // And one after another, on the reused buffer.
    expect((await zxingRead(fb!, {}))?.text).toBe(b!.expected);
  });
});
