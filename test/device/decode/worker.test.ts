import { describe, expect, it } from 'vitest';
import { createDecoder, type DecoderPool, type FrameDecoder } from '../../../device/decode/index.js';
import { loadGreyImage } from '../../../hardware/camera/image-file.js';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { corpusEntries } from './corpus-sample.js';

const [easy] = corpusEntries('gate-corpus', ['images/ph-9433c22049.png']);

describe('decoder in a worker thread', () => {
  it('starts, decodes without blocking the caller, leaves the frame untouched, and closes', async () => {
    const d = await createDecoder({ engine: 'zxing' });
    try {
      const f = await loadGreyImage(easy!.path);
      const before = Buffer.from(f.data);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const hits = await Promise.all([d.decode(f), d.decode(f), d.decode(f)]);
      clearInterval(timer);
      for (const hit of hits) expect(hit).toMatchObject({ text: easy!.expected, strategy: 'plain' });
      expect(Buffer.from(f.data).equals(before)).toBe(true);
      expect(ticks).toBeGreaterThan(0);
      // a view into a larger buffer: only the view's bytes are decoded
      const big = new Uint8Array(f.data.length + 1000);
      big.set(f.data, 500);
      const view: GreyFrame = { ...f, data: big.subarray(500, 500 + f.data.length) };
      expect(await d.decode(view)).toMatchObject({ text: easy!.expected });
      await expect(d.decode({ ...f, width: 3 })).rejects.toMatchObject({ code: 'BAD_FRAME' });
    } finally {
      await d.close();
    }
    await expect(d.decode(await loadGreyImage(easy!.path))).rejects.toMatchObject({ code: 'CLOSED' });
    await d.close(); // idempotent
  });

  it('fails pending decodes on close with CLOSED', async () => {
    const d = await createDecoder({ engine: 'zxing' });
    const f = await loadGreyImage(easy!.path);
    const outcome = Promise.allSettled([d.decode(f), d.decode(f), d.decode(f)]);
    await d.close();
    const settled = await outcome;
    for (const s of settled) {
      if (s.status === 'rejected') expect(s.reason).toMatchObject({ code: 'CLOSED' });
    }
    expect(settled.some((s) => s.status === 'rejected')).toBe(true);
  });

  it('recovers from a worker that dies: pending decodes fail with WORKER_FAILED, the next one restarts it', async () => {
    const d: FrameDecoder = await createDecoder({ engine: 'jsqr', strategies: ['plain'], workers: 1 });
    try {
      const f = await loadGreyImage(easy!.path);
      const pending = d.decode(f);
      // Kill the thread from outside, as an out-of-memory abort would.
      await (d as DecoderPool).workers[0]!.terminate();
      await expect(pending).rejects.toMatchObject({ code: 'WORKER_FAILED' });
      expect(await d.decode(f)).toMatchObject({ text: easy!.expected });
    } finally {
      await d.close();
    }
  });
});
