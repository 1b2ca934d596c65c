import { describe, expect, it } from 'vitest';
import {
  blurGauss,
  boxWidthsForGauss,
  crop,
  resizeBilinear,
  sharpenAndScale,
  unsharp,
  type GreyImage,
} from '../../../device/decode/image-ops.js';

function img(width: number, height: number, f: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data };
}

/** Straightforward bilinear reference: output pixel centres mapped to source coordinates, edges clamped. */
function reference(src: GreyImage, scale: number): GreyImage {
  const w = Math.round(src.width * scale);
  const h = Math.round(src.height * scale);
  const at = (x: number, y: number): number =>
    src.data[Math.min(src.height - 1, Math.max(0, y)) * src.width + Math.min(src.width - 1, Math.max(0, x))]!;
  return img(w, h, (x, y) => {
    const fx = Math.max(0, ((x + 0.5) * src.width) / w - 0.5);
    const fy = Math.max(0, ((y + 0.5) * src.height) / h - 0.5);
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const tx = fx - x0;
    const ty = fy - y0;
    const v =
      (at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx) * (1 - ty) +
      (at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx) * ty;
    return Math.round(v);
  });
}

const pattern = img(37, 23, (x, y) => (x * 37 + y * 91 + ((x * y) % 7) * 13) % 256);

describe('image ops', () => {
  it('enlarges bilinearly, the 2× fast path and the general path alike', () => {
    for (const scale of [2, 1.5, 1.25]) {
      const got = resizeBilinear(pattern, scale);
      const want = reference(pattern, scale);
      expect([got.width, got.height]).toEqual([want.width, want.height]);
      let maxDiff = 0;
      for (let i = 0; i < got.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.data[i]! - want.data[i]!));
      expect(maxDiff, `scale ${scale}`).toBeLessThanOrEqual(1);
    }
  });

  it('chooses box widths whose variance matches the gaussian', () => {
    for (const sigma of [1, 2, 3.5]) {
      const widths = boxWidthsForGauss(sigma);
      expect(widths).toHaveLength(3);
      const variance = widths.reduce((s, w) => s + (w * w - 1) / 12, 0);
      expect(Math.abs(Math.sqrt(variance) - sigma)).toBeLessThan(0.25);
    }
  });

  it('blurs without changing a flat image or the mean, and spreads an impulse', () => {
    const flat = blurGauss(
      img(20, 10, () => 77),
      2,
    );
    expect(Math.max(...flat.data) - Math.min(...flat.data)).toBeLessThan(1e-3);
    const impulse = img(41, 41, (x, y) => (x === 20 && y === 20 ? 255 : 0));
    const b = blurGauss(impulse, 2);
    const sum = b.data.reduce((s, v) => s + v, 0);
    expect(sum).toBeCloseTo(255, 0);
    expect(b.data[20 * 41 + 20]!).toBeLessThan(255 / 10);
    expect(b.data[20 * 41 + 22]!).toBeGreaterThan(0);
  });

  it('unsharp-masks: steeper edges, flat areas untouched, values past 0..255 kept until the resize clips', () => {
    const edge = img(40, 4, (x) => (x < 20 ? 60 : 180));
    const u = unsharp(edge, 2, 1.5);
    expect(u.data[5]).toBeCloseTo(60, 3);
    expect(u.data[19]!).toBeLessThan(60);
    expect(u.data[20]!).toBeGreaterThan(180);
    const hard = sharpenAndScale(
      img(40, 4, (x) => (x < 20 ? 0 : 255)),
      2,
      1.5,
      2,
    );
    expect([hard.width, hard.height]).toEqual([80, 8]);
    expect(Math.min(...hard.data)).toBe(0);
    expect(Math.max(...hard.data)).toBe(255);
  });

  it('blurs the same whether columns are short or long (the row-by-row vertical pass), and symmetric', () => {
    const impulse = img(31, 57, (x, y) => (x === 15 && y === 28 ? 255 : 0));
    const b = blurGauss(impulse, 2);
    const t = blurGauss(
      img(57, 31, (x, y) => (y === 15 && x === 28 ? 255 : 0)),
      2,
    );
    for (let y = 0; y < 57; y++)
      for (let x = 0; x < 31; x++) expect(b.data[y * 31 + x]).toBeCloseTo(t.data[x * 57 + y]!, 3);
    expect(b.data[28 * 31 + 13]).toBeCloseTo(b.data[28 * 31 + 17]!, 4);
    expect(b.data[26 * 31 + 15]).toBeCloseTo(b.data[30 * 31 + 15]!, 4);
  });

  it('crops a rectangle, clamped to the image and never empty', () => {
    const c = crop(pattern, { x0: 3.6, y0: 2, x1: 10.2, y1: 7 });
    expect([c.width, c.height]).toEqual([8, 5]);
    expect(c.data[0]).toBe(pattern.data[2 * 37 + 3]);
    expect(c.data[1 * 8 + 7]).toBe(pattern.data[3 * 37 + 10]);
    const edge = crop(pattern, { x0: -20, y0: -5, x1: 100, y1: 100 });
    expect([edge.width, edge.height]).toEqual([37, 23]);
    expect(edge.data).toEqual(pattern.data);
    const outside = crop(pattern, { x0: 50, y0: 40, x1: 60, y1: 50 });
    expect(outside.data.length).toBeGreaterThan(0);
  });
});
