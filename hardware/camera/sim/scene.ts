// A synthetic camera frame of a phone showing a QR code, held up to a gate camera: the stand-in for a real camera
// in end-to-end tests, benchmarks and the demo. The phone is drawn in its own plane (units: QR modules), posed in
// 3-D and projected through a pinhole camera onto a 640×480 grey frame, 2×2 supersampled; then screen contrast,
// dark mode, glare, defocus blur, sensor noise and optionally JPEG are applied. Every random choice comes from
// the seed, so a seed and options always give the same frame.
import QRCode from 'qrcode';
import sharp from 'sharp';
import { saveGreyPng } from '../image-file.js';
import type { GreyFrame } from '../types.js';

export interface SceneOptions {
  /** Seed of every random choice (pose, background, noise). Default 1. */
  readonly seed?: number;
  /** Code side as a fraction of the frame height, seen head-on. Default 0.5; 0.1–0.9. */
  readonly codeSize?: number;
  /** Tilt of the phone away from the camera: 0 (facing it) … 1 (50°). Default 0.1. */
  readonly perspective?: number;
  /** In-plane rotation in degrees. Default: drawn from the seed within ±12°. */
  readonly roll?: number;
  /** Code centre as fractions of the frame width and height. Default: drawn near the middle. */
  readonly center?: readonly [number, number];
  /** Defocus blur, gaussian σ in pixels. Default 0.5. */
  readonly blur?: number;
  /** Sensor noise, σ in 8-bit grey levels. Default 2. */
  readonly noise?: number;
  /** Screen glare: peak brightness added to the glass, 0 … 1 (values clip at white). Default 0. */
  readonly glare?: number;
  /** Screen contrast between dark and light modules, 0.2 … 1. Default 0.85. */
  readonly contrast?: number;
  /** Dark mode: light modules on a dark screen. Default false. */
  readonly inverted?: boolean;
  /** Round-trip through JPEG at this quality (1–100). Default: none. */
  readonly jpegQuality?: number;
  /** Fingers holding the phone by its side. Default true. */
  readonly hand?: boolean;
}

export const SCENE_WIDTH = 640;
export const SCENE_HEIGHT = 480;
const FOCAL_PX = 560;
const QUIET_ZONE = 4;

export class SceneError extends Error {
  override readonly name = 'SceneError';
  readonly code = 'BAD_SCENE_OPTIONS';
}

/** mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function inRange(name: string, v: number | undefined, lo: number, hi: number): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)) {
    throw new SceneError(`${name} must be a number in ${lo}..${hi}, got ${String(v)}`);
  }
}

function checkOptions(o: SceneOptions): void {
  inRange('codeSize', o.codeSize, 0.1, 0.9);
  inRange('perspective', o.perspective, 0, 1);
  inRange('roll', o.roll, -180, 180);
  inRange('blur', o.blur, 0, 10);
  inRange('noise', o.noise, 0, 64);
  inRange('glare', o.glare, 0, 1);
  inRange('contrast', o.contrast, 0.2, 1);
  inRange('jpegQuality', o.jpegQuality, 1, 100);
  if (o.center) {
    inRange('center[0]', o.center[0], 0, 1);
    inRange('center[1]', o.center[1], 0, 1);
  }
}

type Mat3 = [number, number, number, number, number, number, number, number, number];

function invert3(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

/** Homography from the phone plane (module units, origin at the code centre) to frame pixels. */
function poseHomography(
  modulePx: number,
  rollDeg: number,
  tiltDeg: number,
  axisDeg: number,
  cx: number,
  cy: number,
): Mat3 {
  const rz = (rollDeg * Math.PI) / 180;
  const t = (tiltDeg * Math.PI) / 180;
  const ax = (axisDeg * Math.PI) / 180;
  // Rotation about the in-plane axis (cos ax, sin ax, 0) by the tilt (Rodrigues), then the roll about the view axis.
  const [kx, ky] = [Math.cos(ax), Math.sin(ax)];
  const ct = Math.cos(t);
  const st = Math.sin(t);
  const tilt = [
    [ct + kx * kx * (1 - ct), kx * ky * (1 - ct), ky * st],
    [kx * ky * (1 - ct), ct + ky * ky * (1 - ct), -kx * st],
    [-ky * st, kx * st, ct],
  ];
  const cr = Math.cos(rz);
  const sr = Math.sin(rz);
  const r = tilt.map((row, i) =>
    row.map((_, j) =>
      i === 0 ? cr * tilt[0]![j]! - sr * tilt[1]![j]! : i === 1 ? sr * tilt[0]![j]! + cr * tilt[1]![j]! : tilt[2]![j]!,
    ),
  );
  const z = FOCAL_PX;
  const tx = ((cx - SCENE_WIDTH / 2) * z) / FOCAL_PX;
  const ty = ((cy - SCENE_HEIGHT / 2) * z) / FOCAL_PX;
  // x_img ~ K · [r1·m  r2·m  T] · (u, v, 1)
  const c1 = [r[0]![0]! * modulePx, r[1]![0]! * modulePx, r[2]![0]! * modulePx];
  const c2 = [r[0]![1]! * modulePx, r[1]![1]! * modulePx, r[2]![1]! * modulePx];
  const c3 = [tx, ty, z];
  const k = (c: number[]): [number, number, number] => [
    FOCAL_PX * c[0]! + (SCENE_WIDTH / 2) * c[2]!,
    FOCAL_PX * c[1]! + (SCENE_HEIGHT / 2) * c[2]!,
    c[2]!,
  ];
  const [p, q, s] = [k(c1), k(c2), k(c3)];
  return [p[0], q[0], s[0], p[1], q[1], s[1], p[2], q[2], s[2]];
}

function roundRect(u: number, v: number, x0: number, y0: number, x1: number, y1: number, r: number): boolean {
  if (u < x0 || u > x1 || v < y0 || v > y1) return false;
  const dx = u < x0 + r ? x0 + r - u : u > x1 - r ? u - (x1 - r) : 0;
  const dy = v < y0 + r ? y0 + r - v : v > y1 - r ? v - (y1 - r) : 0;
  return dx * dx + dy * dy <= r * r;
}

/** Three box blurs per axis ≈ a gaussian of σ; in place on a float plane. */
function blurInPlace(img: Float32Array, w: number, h: number, sigma: number): void {
  const r = Math.round((Math.sqrt(4 * sigma * sigma + 1) - 1) / 2);
  if (sigma <= 0 || r < 1) return;
  const tmp = new Float32Array(Math.max(w, h));
  const pass = (lines: number, len: number, step: number, lineStep: number): void => {
    for (let l = 0; l < lines; l++) {
      const o = l * lineStep;
      for (let i = 0; i < len; i++) tmp[i] = img[o + i * step]!;
      let acc = tmp[0]! * (r + 1);
      for (let i = 1; i <= r; i++) acc += tmp[Math.min(i, len - 1)]!;
      for (let i = 0; i < len; i++) {
        img[o + i * step] = acc / (2 * r + 1);
        acc += tmp[Math.min(len - 1, i + r + 1)]! - tmp[Math.max(0, i - r)]!;
      }
    }
  };
  for (let k = 0; k < 3; k++) {
    pass(h, w, 1, w);
    pass(w, h, w, 1);
  }
}

function toByte(v: number): number {
  const b = v * 255;
  return b <= 0 ? 0 : b >= 255 ? 255 : Math.round(b);
}

/**
 * Render `text` as a QR code (error correction Q) on a phone screen in a 640×480 grey camera frame.
 * Throws SceneError for options out of range; the qrcode package throws for text too long for a QR code.
 */
export async function renderPhoneScene(text: string, opts: SceneOptions = {}): Promise<GreyFrame> {
  checkOptions(opts);
  const rand = rng(opts.seed ?? 1);
  const qr = QRCode.create(text, { errorCorrectionLevel: 'Q' });
  const n = qr.modules.size;
  const modules = qr.modules.data;

  // Pose: all drawn from the seed first, so an explicit option never shifts the other random choices.
  const drawnRoll = (rand() * 2 - 1) * 12;
  const tiltAxis = rand() * 360;
  const drawnCenter: [number, number] = [0.5 + (rand() * 2 - 1) * 0.08, 0.5 + (rand() * 2 - 1) * 0.06];
  const glareAt: [number, number] = [(rand() * 2 - 1) * 0.3, (rand() * 2 - 1) * 0.3];
  const bg = Array.from({ length: 5 }, () => [rand(), rand(), rand(), rand()] as const);
  const lightAngle = rand() * 2 * Math.PI;

  const codeSize = opts.codeSize ?? 0.5;
  const modulePx = (codeSize * SCENE_HEIGHT) / n;
  const [fx, fy] = opts.center ?? drawnCenter;
  const H = poseHomography(
    modulePx,
    opts.roll ?? drawnRoll,
    (opts.perspective ?? 0.1) * 50,
    tiltAxis,
    fx * SCENE_WIDTH,
    fy * SCENE_HEIGHT,
  );
  const inv = invert3(H);

  // Phone layout in module units, origin at the code centre.
  const half = n / 2;
  const sw = n + 2 * QUIET_ZONE + 4;
  const sTop = -(half + QUIET_ZONE + 6);
  const sBottom = sTop + sw * 1.9;
  const bezel = 0.05 * sw;
  const body = { x0: -sw / 2 - bezel, x1: sw / 2 + bezel, y0: sTop - 2 * bezel, y1: sBottom + 2 * bezel, r: 0.12 * sw };
  const contrast = opts.contrast ?? 0.85;
  const dark = 0.55 - 0.47 * contrast;
  const light = 0.55 + 0.4 * contrast;
  const [ink, paper] = opts.inverted ? [light, dark] : [dark, light];
  const hand = opts.hand ?? true;
  const glare = opts.glare ?? 0;
  const glareR = 0.35 * sw;

  const phone = (u: number, v: number): number | null => {
    if (hand && u < body.x0 + 1.5 && u > body.x0 - 3 && ((v > 0 && v < 5) || (v > 7 && v < 12) || (v > 14 && v < 19)))
      return 0.58;
    if (!roundRect(u, v, body.x0, body.y0, body.x1, body.y1, body.r)) return null;
    if (!roundRect(u, v, -sw / 2, sTop, sw / 2, sBottom, 0.06 * sw)) return 0.1;
    let g = paper;
    const col = Math.floor(u + half);
    const row = Math.floor(v + half);
    if (col >= 0 && col < n && row >= 0 && row < n) {
      if (modules[row * n + col]) g = ink;
    } else if (v < sTop + 2) {
      g = (paper + ink) / 2; // status bar
    } else if (v > half + QUIET_ZONE + 1.5 && v < half + QUIET_ZONE + 3 && Math.abs(u) < 0.3 * sw) {
      g = 0.7 * ink + 0.3 * paper; // caption line
    } else if (v > half + QUIET_ZONE + 6 && v < half + QUIET_ZONE + 10 && Math.abs(u) < 0.35 * sw) {
      g = 0.5 * ink + 0.5 * paper; // button
    }
    if (glare > 0) {
      const du = (u - glareAt[0] * sw) / glareR;
      const dv = (v - glareAt[1] * sw) / (glareR * 0.6);
      g += glare * Math.exp(-(du * du + dv * dv));
    }
    return g;
  };
  const background = (x: number, y: number): number => {
    let g = 0.42 + 0.18 * (y / SCENE_HEIGHT) * Math.cos(lightAngle) + 0.1 * (x / SCENE_WIDTH) * Math.sin(lightAngle);
    for (const [a, b, c, d] of bg) {
      const x0 = a * SCENE_WIDTH;
      const wdt = 30 + b * 140;
      if (x > x0 && x < x0 + wdt && y > c * SCENE_HEIGHT * 0.5) g = 0.2 + 0.5 * d;
    }
    return g;
  };

  const W = SCENE_WIDTH;
  const Hh = SCENE_HEIGHT;
  // Frame area the phone (and hand) can cover: its projected corners, with a margin. Elsewhere only background.
  const corners = [
    [body.x0 - 4, body.y0 - 1],
    [body.x1 + 1, body.y0 - 1],
    [body.x1 + 1, body.y1 + 1],
    [body.x0 - 4, body.y1 + 1],
  ].map(([u, v]) => {
    const wq = H[6] * u! + H[7] * v! + H[8];
    return [(H[0] * u! + H[1] * v! + H[2]) / wq, (H[3] * u! + H[4] * v! + H[5]) / wq] as const;
  });
  const bx0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[0]))) - 2);
  const bx1 = Math.min(W, Math.ceil(Math.max(...corners.map((c) => c[0]))) + 2);
  const by0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[1]))) - 2);
  const by1 = Math.min(Hh, Math.ceil(Math.max(...corners.map((c) => c[1]))) + 2);
  const sample = (px: number, py: number): number => {
    const wq = inv[6] * px + inv[7] * py + inv[8];
    const g =
      wq > 0 ? phone((inv[0] * px + inv[1] * py + inv[2]) / wq, (inv[3] * px + inv[4] * py + inv[5]) / wq) : null;
    return Math.min(1, g ?? background(px, py));
  };
  const img = new Float32Array(W * Hh);
  for (let y = 0; y < Hh; y++) {
    const rowInside = y >= by0 && y < by1;
    for (let x = 0; x < W; x++) {
      img[y * W + x] =
        rowInside && x >= bx0 && x < bx1
          ? (sample(x + 0.25, y + 0.25) +
              sample(x + 0.75, y + 0.25) +
              sample(x + 0.25, y + 0.75) +
              sample(x + 0.75, y + 0.75)) /
            4
          : background(x + 0.5, y + 0.5);
    }
  }
  blurInPlace(img, W, Hh, opts.blur ?? 0.5);

  const noise = (opts.noise ?? 2) / 255;
  const data = new Uint8Array(W * Hh);
  for (let i = 0; i < data.length; i += 2) {
    // Box–Muller from the seeded generator: two independent normal samples per draw.
    let z0 = 0;
    let z1 = 0;
    if (noise > 0) {
      const m = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * noise;
      const a = 2 * Math.PI * rand();
      z0 = m * Math.cos(a);
      z1 = m * Math.sin(a);
    }
    data[i] = toByte(img[i]! + z0);
    if (i + 1 < data.length) data[i + 1] = toByte(img[i + 1]! + z1);
  }
  let out = data;
  if (opts.jpegQuality !== undefined) {
    const jpeg = await sharp(data, { raw: { width: W, height: Hh, channels: 1 } })
      .jpeg({ quality: Math.round(opts.jpegQuality) })
      .toBuffer();
    const raw = await sharp(jpeg).toColourspace('b-w').raw().toBuffer();
    out = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  }
  return { width: W, height: Hh, data: out, timestamp: performance.now(), seq: 0 };
}

/** Render a scene and save it as a PNG file (for the demo, fixtures and looking at a failing case). */
export async function savePhoneScene(text: string, opts: SceneOptions, file: string): Promise<GreyFrame> {
  const frame = await renderPhoneScene(text, opts);
  await saveGreyPng(frame, file);
  return frame;
}
