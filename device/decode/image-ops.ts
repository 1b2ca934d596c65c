// Frame preparation for the escalation passes: bilinear enlargement and an unsharp mask, in plain typed-array
// loops (a 640×480 frame is prepared in a few milliseconds). Pure functions: grey image in, new grey image out.

export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Plane of floats, the intermediate of the sharpen pass. */
interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/**
 * Box widths whose three successive box blurs approximate a gaussian of `sigma` (the standard construction:
 * widths of two neighbouring odd sizes, mixed so the variance matches).
 */
export function boxWidthsForGauss(sigma: number, n = 3): number[] {
  const ideal = Math.sqrt((12 * sigma * sigma) / n + 1);
  let wl = Math.floor(ideal);
  if (wl % 2 === 0) wl--;
  const wu = wl + 2;
  const m = Math.round((12 * sigma * sigma - n * wl * wl - 4 * n * wl - 3 * n) / (-4 * wl - 4));
  return Array.from({ length: n }, (_, i) => (i < m ? wl : wu));
}

/** One box blur of radius r along each row, edges clamped, by running sums (sequential memory access). */
function boxRows(src: Float32Array, dst: Float32Array, w: number, h: number, r: number): void {
  const inv = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const first = src[o]!;
    const last = src[o + w - 1]!;
    let acc = first * (r + 1);
    for (let i = 1; i <= r; i++) acc += src[o + Math.min(i, w - 1)]!;
    for (let x = 0; x < w; x++) {
      dst[o + x] = acc * inv;
      const add = x + r + 1;
      const sub = x - r;
      acc += (add < w ? src[o + add]! : last) - (sub >= 0 ? src[o + sub]! : first);
    }
  }
}

/**
 * One box blur of radius r down the columns, edges clamped. The running sums of all columns advance together, one
 * row at a time, so memory is read row by row (a column-at-a-time walk strides through memory and was ~4× slower).
 */
function boxCols(src: Float32Array, dst: Float32Array, w: number, h: number, r: number, acc: Float32Array): void {
  const inv = 1 / (2 * r + 1);
  const lastRow = (h - 1) * w;
  for (let x = 0; x < w; x++) acc[x] = src[x]! * (r + 1);
  for (let i = 1; i <= r; i++) {
    const o = Math.min(i, h - 1) * w;
    for (let x = 0; x < w; x++) acc[x]! += src[o + x]!;
  }
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const add = y + r + 1 < h ? (y + r + 1) * w : lastRow;
    const sub = y - r >= 0 ? (y - r) * w : 0;
    for (let x = 0; x < w; x++) {
      const a = acc[x]!;
      dst[o + x] = a * inv;
      acc[x] = a + src[add + x]! - src[sub + x]!;
    }
  }
}

/**
 * Float planes reused from call to call: allocating a fresh megabyte-sized plane per frame cost as much as the
 * blur itself on the test machine. Every function here uses them only between its start and its return
 * (synchronously), and never returns one, so callers never see them.
 */
const scratch: Record<'plane' | 'b' | 'acc' | 'rows', Float32Array> = {
  plane: new Float32Array(0),
  b: new Float32Array(0),
  acc: new Float32Array(0),
  rows: new Float32Array(0),
};
function scratchPlane(key: keyof typeof scratch, n: number): Float32Array {
  if (scratch[key].length < n) scratch[key] = new Float32Array(n);
  return scratch[key].subarray(0, n);
}

/** Gaussian blur approximated by three box blurs in each direction (into `into` when given). */
export function blurGauss(src: GreyImage, sigma: number, into?: Float32Array): FloatImage {
  const { width: w, height: h } = src;
  const a = into ?? new Float32Array(w * h);
  a.set(src.data);
  const b = scratchPlane('b', w * h);
  const acc = scratchPlane('acc', w);
  for (const width of boxWidthsForGauss(sigma)) {
    const r = (width - 1) >> 1;
    if (r < 1) continue;
    boxRows(a, b, w, h, r);
    boxCols(b, a, w, h, r, acc);
  }
  return { width: w, height: h, data: a };
}

/**
 * Unsharp mask: out = src + amount · (src − blur(src, sigma)), kept as floats (not clipped) so a following
 * enlargement interpolates the true values.
 */
export function unsharp(src: GreyImage, sigma: number, amount: number, into?: Float32Array): FloatImage {
  const blurred = blurGauss(src, sigma, into);
  const out = blurred.data;
  const gain = 1 + amount;
  for (let i = 0; i < out.length; i++) out[i] = gain * src.data[i]! - amount * out[i]!;
  return { width: src.width, height: src.height, data: out };
}

/** Source coordinate of an output pixel centre: x_src = (x_out + 0.5) / scale − 0.5, clamped to the image. */
function sampling(outLen: number, inLen: number): { i0: Int32Array; i1: Int32Array; t: Float32Array } {
  const i0 = new Int32Array(outLen);
  const i1 = new Int32Array(outLen);
  const t = new Float32Array(outLen);
  const ratio = inLen / outLen;
  for (let x = 0; x < outLen; x++) {
    const f = Math.max(0, (x + 0.5) * ratio - 0.5);
    const a = Math.min(inLen - 1, Math.floor(f));
    i0[x] = a;
    i1[x] = Math.min(inLen - 1, a + 1);
    t[x] = f - a;
  }
  return { i0, i1, t };
}

/** Bilinear resize of an 8-bit or float plane into an 8-bit image (values clipped to 0..255). */
export function resizeBilinear(src: GreyImage | FloatImage, scale: number): GreyImage {
  if (scale === 2) return double(src);
  const w = Math.max(1, Math.round(src.width * scale));
  const h = Math.max(1, Math.round(src.height * scale));
  const sx = sampling(w, src.width);
  const sy = sampling(h, src.height);
  const sw = src.width;
  const rows = scratchPlane('rows', w * src.height);
  for (let y = 0; y < src.height; y++) {
    const o = y * sw;
    const p = y * w;
    for (let x = 0; x < w; x++) {
      const a = src.data[o + sx.i0[x]!]!;
      const b = src.data[o + sx.i1[x]!]!;
      rows[p + x] = a + (b - a) * sx.t[x]!;
    }
  }
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const o0 = sy.i0[y]! * w;
    const o1 = sy.i1[y]! * w;
    const t = sy.t[y]!;
    const p = y * w;
    for (let x = 0; x < w; x++) {
      const a = rows[o0 + x]!;
      out[p + x] = clip(a + (rows[o1 + x]! - a) * t);
    }
  }
  return { width: w, height: h, data: out };
}

function clip(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
}

/**
 * Exact 2× bilinear enlargement (the same sampling as resizeBilinear): every output pixel is 3/4 of its nearest
 * source pixel and 1/4 of the next one away, per axis, with edges clamped.
 */
function double(src: GreyImage | FloatImage): GreyImage {
  const sw = src.width;
  const sh = src.height;
  const w = sw * 2;
  const d = src.data;
  const rows = scratchPlane('rows', w * sh);
  for (let y = 0; y < sh; y++) {
    const o = y * sw;
    const p = y * w;
    for (let i = 0; i < sw; i++) {
      const c = d[o + i]!;
      const l = d[o + (i > 0 ? i - 1 : 0)]!;
      const r = d[o + (i < sw - 1 ? i + 1 : i)]!;
      rows[p + 2 * i] = 0.75 * c + 0.25 * l;
      rows[p + 2 * i + 1] = 0.75 * c + 0.25 * r;
    }
  }
  const out = new Uint8Array(w * sh * 2);
  for (let j = 0; j < sh; j++) {
    const c = j * w;
    const u = (j > 0 ? j - 1 : 0) * w;
    const n = (j < sh - 1 ? j + 1 : j) * w;
    const top = 2 * j * w;
    const bottom = top + w;
    for (let x = 0; x < w; x++) {
      const cv = 0.75 * rows[c + x]!;
      out[top + x] = clip(cv + 0.25 * rows[u + x]!);
      out[bottom + x] = clip(cv + 0.25 * rows[n + x]!);
    }
  }
  return { width: w, height: sh * 2, data: out };
}

/** A rectangle of an image in its pixels: [x0, x1) × [y0, y1). */
export interface Region {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** Copy a rectangle out of an image (the rectangle is clamped to the image; never empty). */
export function crop(src: GreyImage, region: Region): GreyImage {
  const x0 = Math.max(0, Math.min(src.width - 1, Math.floor(region.x0)));
  const y0 = Math.max(0, Math.min(src.height - 1, Math.floor(region.y0)));
  const x1 = Math.max(x0 + 1, Math.min(src.width, Math.ceil(region.x1)));
  const y1 = Math.max(y0 + 1, Math.min(src.height, Math.ceil(region.y1)));
  const w = x1 - x0;
  const data = new Uint8Array(w * (y1 - y0));
  for (let y = y0; y < y1; y++) data.set(src.data.subarray(y * src.width + x0, y * src.width + x1), (y - y0) * w);
  return { width: w, height: y1 - y0, data };
}

/** Unsharp mask then bilinear enlargement, in one go (the sharpening runs at the source size, so it is cheap). */
export function sharpenAndScale(src: GreyImage, sigma: number, amount: number, scale: number): GreyImage {
  return resizeBilinear(unsharp(src, sigma, amount, scratchPlane('plane', src.width * src.height)), scale);
}
