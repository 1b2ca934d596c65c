import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameSplitter } from '../../../hardware/camera/frame-splitter.js';
import { greyLayout, yuv420Layout } from '../../../hardware/camera/yuv-layout.js';
import type { FrameLayout } from '../../../hardware/camera/yuv-layout.js';

describe('yuv420Layout', () => {
  it.each([
    { w: 640, h: 480, align: 64, stride: 640, bytes: 460_800 },
    { w: 640, h: 480, align: 128, stride: 640, bytes: 460_800 },
    { w: 1000, h: 500, align: 64, stride: 1024, bytes: 768_000 },
    { w: 100, h: 50, align: 64, stride: 128, bytes: 9_600 },
    { w: 100, h: 50, align: 128, stride: 128, bytes: 9_600 },
    { w: 200, h: 50, align: 128, stride: 256, bytes: 19_200 },
    { w: 200, h: 51, align: 64, stride: 256, bytes: 256 * 51 + 2 * 128 * 26 },
  ])('$w×$h aligned to $align: stride $stride, $bytes bytes', ({ w, h, align, stride, bytes }) => {
    const l = yuv420Layout(w, h, { align });
    expect(l.stride).toBe(stride);
    expect(l.frameBytes).toBe(bytes);
  });

  it('takes an explicit stride and rejects impossible ones', () => {
    expect(yuv420Layout(100, 50, { stride: 112 }).frameBytes).toBe(112 * 50 + 2 * 56 * 25);
    expect(() => yuv420Layout(100, 50, { stride: 96 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => yuv420Layout(0, 50)).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
  });
});

/** A stream of `n` frames in `layout`; luma byte values identify frame, row and column; padding is 0xEE. */
function makeStream(layout: FrameLayout, n: number): { stream: Uint8Array; lumas: Uint8Array[] } {
  const { width, height, stride, frameBytes } = layout;
  const stream = new Uint8Array(frameBytes * n).fill(0xee);
  const lumas: Uint8Array[] = [];
  for (let f = 0; f < n; f++) {
    const luma = new Uint8Array(width * height);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const v = (f * 53 + r * 5 + c * 11) & 0xff;
        luma[r * width + c] = v;
        stream[f * frameBytes + r * stride + c] = v;
      }
    }
    stream.fill(0x80 + f, f * frameBytes + stride * height, (f + 1) * frameBytes); // chroma planes
    lumas.push(luma);
  }
  return { stream, lumas };
}

function splitAt(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, stream.length]) {
    if (p > prev) out.push(stream.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('FrameSplitter', () => {
  const layouts: FrameLayout[] = [
    yuv420Layout(64, 8, { align: 64 }),
    yuv420Layout(50, 7 + 1, { align: 64 }),
    yuv420Layout(100, 6, { align: 128 }),
    yuv420Layout(30, 5 + 1, { stride: 40 }),
    greyLayout(33, 9),
  ];

  it.each(layouts)('recovers every frame exactly for any chunking (w=$width stride=$stride)', (layout) => {
    const { stream, lumas } = makeStream(layout, 4);
    fc.assert(
      fc.property(fc.array(fc.nat(stream.length), { maxLength: 40 }), (cuts) => {
        const s = new FrameSplitter(layout);
        const got = splitAt(stream, cuts).flatMap((c) => s.push(c));
        expect(got.map((g) => Array.from(g))).toEqual(lumas.map((l) => Array.from(l)));
        expect(s.pending).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('holds a partial frame back and forgets it on reset', () => {
    const layout = yuv420Layout(50, 8, { align: 64 });
    const { stream, lumas } = makeStream(layout, 2);
    const s = new FrameSplitter(layout);
    expect(s.push(stream.subarray(0, layout.frameBytes + 17))).toHaveLength(1);
    expect(s.pending).toBe(17);
    s.reset();
    expect(s.pending).toBe(0);
    const again = s.push(stream.subarray(layout.frameBytes));
    expect(Array.from(again[0] ?? [])).toEqual(Array.from(lumas[1] ?? []));
  });

  it('hands on an unpadded frame that lies inside one chunk without copying', () => {
    const layout = yuv420Layout(64, 4, { align: 64 });
    const { stream } = makeStream(layout, 2);
    const s = new FrameSplitter(layout);
    const [a, b] = s.push(stream);
    expect(a?.buffer).toBe(stream.buffer);
    expect(b?.byteOffset).toBe(stream.byteOffset + layout.frameBytes);
    expect(b?.length).toBe(64 * 4);
  });
});
