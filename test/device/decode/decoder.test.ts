import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDecoder,
  DecodeError,
  DEFAULT_ESCALATE_EVERY,
  ladderCounts,
  type DecodeHit,
  type FrameDecoder,
} from '../../../device/decode/index.js';
import { loadGreyImage } from '../../../hardware/camera/image-file.js';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { corpusEntries, GATE_SAMPLE, PHOTO_SAMPLE } from './corpus-sample.js';

const frame = (width: number, height: number, data: Uint8Array): GreyFrame => ({
  width,
  height,
  data,
  timestamp: 0,
  seq: 0,
});

/** Budget far above any decode here, so a loaded test machine cannot cut a ladder short. */
const BUDGET = 60_000;

describe('zxing decoder on this thread', () => {
  let decoder: FrameDecoder;
  beforeAll(async () => {
    decoder = await createDecoder({ engine: 'zxing', worker: false, budgetMs: BUDGET });
  });
  afterAll(async () => {
    await decoder.close();
  });

  it('reads a fixed sample of both corpora with the expected texts and never a wrong one', async () => {
    const entries = [...corpusEntries('gate-corpus', GATE_SAMPLE), ...corpusEntries('qr-corpus', PHOTO_SAMPLE)];
    const results: { expected: string; hit: DecodeHit | null }[] = [];
    for (const e of entries)
      results.push({ expected: e.expected, hit: await decoder.decode(await loadGreyImage(e.path)) });
    const read = results.filter((r) => r.hit?.text === r.expected).length;
    const wrong = results.filter((r) => r.hit !== null && r.hit.text !== r.expected).length;
    expect(wrong).toBe(0);
    expect(read).toBeGreaterThanOrEqual(18);
    // The sample includes frames the plain pass misses: the escalation passes must have read some of them.
    expect(results.filter((r) => r.hit && r.hit.strategy !== 'plain').length).toBeGreaterThanOrEqual(4);
  });

  it('returns the symbol corners in frame pixels, also from an enlarged pass', async () => {
    const [e] = corpusEntries('gate-corpus', ['images/ph-9433c22049.png']);
    const f = await loadGreyImage(e!.path);
    const expected = e!.corners!;
    for (const strategies of [['plain'], ['sharpen-2x'], ['upscale-2x']] as const) {
      const d = await createDecoder({ engine: 'zxing', worker: false, strategies, budgetMs: BUDGET });
      const hit = await d.decode(f);
      await d.close();
      expect(hit?.strategy).toBe(strategies[0]);
      expect(hit?.corners).toHaveLength(4);
      // zxing reports the outer corners of the symbol up to about a module; the code here has ~4 px modules.
      hit!.corners!.forEach(([x, y], i) => {
        expect(Math.hypot(x - expected[i]![0], y - expected[i]![1])).toBeLessThan(8);
      });
    }
  });

  it('returns null for frames without a code', async () => {
    expect(await decoder.decode(frame(640, 480, new Uint8Array(640 * 480).fill(128)))).toBeNull();
    const noise = new Uint8Array(320 * 240);
    let s = 7;
    for (let i = 0; i < noise.length; i++) noise[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    expect(await decoder.decode(frame(320, 240, noise))).toBeNull();
    expect(await decoder.decode(frame(1, 1, new Uint8Array([0])))).toBeNull();
  });

  it('rejects malformed frames with BAD_FRAME instead of crashing', async () => {
    const bad: unknown[] = [
      frame(0, 10, new Uint8Array(0)),
      frame(10, 10, new Uint8Array(99)),
      frame(Number.NaN, 10, new Uint8Array(10)),
      frame(2.5, 4, new Uint8Array(10)),
      frame(10_000, 10, new Uint8Array(100_000)),
      frame(5000, 5000, new Uint8Array(1)),
      { width: 2, height: 2, data: [0, 0, 0, 0] },
      null,
    ];
    for (const f of bad) {
      await expect(decoder.decode(f as GreyFrame)).rejects.toMatchObject({ name: 'DecodeError', code: 'BAD_FRAME' });
    }
    // still working afterwards
    expect(await decoder.decode(frame(8, 8, new Uint8Array(64)))).toBeNull();
  });
});

describe('decoder configuration', () => {
  it('refuses bad configurations with BAD_CONFIG before starting anything', async () => {
    const bad: unknown[] = [
      { engine: 'zbar' },
      { engine: 'zxing', strategies: [] },
      { engine: 'zxing', strategies: ['plain', 'magic'] },
      { engine: 'jsqr', strategies: ['plain', 'denoise'] },
      { engine: 'zxing', budgetMs: 0 },
      { engine: 'zxing', budgetMs: Number.NaN },
      { engine: 'zxing', escalateEvery: 0 },
    ];
    for (const config of bad) {
      for (const worker of [true, false]) {
        await expect(createDecoder({ ...(config as object), worker } as never)).rejects.toSatisfy(
          (err: unknown) => err instanceof DecodeError && err.code === 'BAD_CONFIG',
        );
      }
    }
  });
});

describe('decoder on a camera stream (defaults)', () => {
  it('escalates on at most one empty frame in DEFAULT_ESCALATE_EVERY, and counts what ran', async () => {
    const d = await createDecoder({ engine: 'zxing', worker: false, budgetMs: BUDGET });
    try {
      const empty = frame(640, 480, new Uint8Array(640 * 480).fill(90));
      const n = 2 * DEFAULT_ESCALATE_EVERY;
      for (let i = 0; i < n; i++) expect(await d.decode(empty)).toBeNull();
      expect(ladderCounts(d)).toEqual({ first: n, roi: 0, whole: 2 });
    } finally {
      await d.close();
    }
    const w = await createDecoder({ engine: 'zxing', workers: 1 });
    expect(ladderCounts(w)).toEqual({ first: 0, roi: 0, whole: 0 }); // a pool plans (and counts) on this thread
    await w.close();
  });
});

describe('jsqr decoder', () => {
  it('reads easy frames and photos, and nothing from an empty frame', async () => {
    const d = await createDecoder({ engine: 'jsqr', worker: false, strategies: ['plain'] });
    try {
      const entries = [
        ...corpusEntries('gate-corpus', ['images/ph-9433c22049.png', 'images/ph-f4a5d25364.png']),
        // zxing/qrcode-2/10 holds Shift_JIS bytes, which jsQR alone turns into an empty text
        ...corpusEntries('qr-corpus', [
          'images/jsqr/end-to-end/0.png',
          'images/zxing/qrcode-1/7.png',
          'images/zxing/qrcode-2/10.png',
        ]),
      ];
      for (const e of entries) {
        const hit = await d.decode(await loadGreyImage(e.path));
        expect(hit).toMatchObject({ text: e.expected, strategy: 'plain' });
        expect(hit?.corners).toHaveLength(4);
      }
      expect(await d.decode(frame(64, 48, new Uint8Array(64 * 48).fill(200)))).toBeNull();
    } finally {
      await d.close();
    }
  });

  it('runs the enlarging passes too', async () => {
    const d = await createDecoder({ engine: 'jsqr', worker: false, strategies: ['sharpen-2x'], budgetMs: BUDGET });
    try {
      const [e] = corpusEntries('gate-corpus', ['images/ph-9433c22049.png']);
      expect(await d.decode(await loadGreyImage(e!.path))).toMatchObject({ text: e!.expected, strategy: 'sharpen-2x' });
    } finally {
      await d.close();
    }
  });
});
