// The decode passes and the ladder that runs them: the cheap plain read first; on a miss, the escalation passes
// on a crop around the code read in a recent frame (cheap), and on the whole frame only once every
// `escalateEvery` frames; no new pass once the frame has used its time budget.
import { crop, resizeBilinear, sharpenAndScale, type GreyImage, type Region } from './image-ops.js';
import { jsqrRead } from './jsqr-engine.js';
import { loadZxing, zxingRead, type EngineHit, type ZxingPassOptions } from './zxing-engine.js';
import {
  DecodeError,
  PASS_NAMES,
  ZXING_ONLY_PASSES,
  type Corner,
  type DecodeHit,
  type EngineName,
  type PassName,
} from './types.js';

/** Unsharp-mask parameters of the sharpen passes (measured on both corpora; see docs/decoding.md). */
export const SHARPEN_SIGMA_PX = 2;
export const SHARPEN_AMOUNT = 1.5;
/** An enlarging pass never produces more pixels than this (a 1600×1600 image); it enlarges less instead. */
export const MAX_ENLARGED_PIXELS = 2_560_000;

interface PassSpec {
  /**
   * Prepare the frame; `scale` maps corners back to frame pixels. Null: the pass adds nothing on this frame.
   * `maxPixels` bounds an enlarged image.
   */
  prepare(img: GreyImage, maxPixels?: number): { image: GreyImage; scale: number } | null;
  zxing: ZxingPassOptions;
}

function enlargement(img: GreyImage, nominal: number, maxPixels = MAX_ENLARGED_PIXELS): number {
  return Math.max(1, Math.min(nominal, Math.sqrt(maxPixels / (img.width * img.height))));
}

// tryRotate is off in every pass: zxing's QR detector finds a code at any angle by itself, and the rotated retries
// (meant for linear barcodes) cost ~4× on a frame without a code while reading nothing more on either corpus.
const PASSES: Record<PassName, PassSpec> = {
  plain: { prepare: (image) => ({ image, scale: 1 }), zxing: { tryRotate: false } },
  'upscale-2x': {
    prepare: (img, max) => {
      const scale = enlargement(img, 2, max);
      return scale > 1 ? { image: resizeBilinear(img, scale), scale } : null;
    },
    zxing: { tryRotate: false },
  },
  'sharpen-1.5x': {
    prepare: (img, max) => {
      const scale = enlargement(img, 1.5, max);
      return { image: sharpenAndScale(img, SHARPEN_SIGMA_PX, SHARPEN_AMOUNT, scale), scale };
    },
    zxing: { tryRotate: false },
  },
  // zxing's own downscaled retry (1/3 of the enlarged frame) stays on here: it reads a few more blurred codes.
  'sharpen-2x': {
    prepare: (img, max) => {
      const scale = enlargement(img, 2, max);
      return { image: sharpenAndScale(img, SHARPEN_SIGMA_PX, SHARPEN_AMOUNT, scale), scale };
    },
    zxing: { tryRotate: false },
  },
  denoise: { prepare: (image) => ({ image, scale: 1 }), zxing: { tryRotate: false, tryDenoise: true } },
};

export interface Ladder {
  readonly engine: EngineName;
  readonly passes: readonly PassName[];
  readonly budgetMs: number;
  /** Whole-frame escalation at most once in this many frames (≥ 1). */
  readonly escalateEvery: number;
}

/**
 * The crop around a recently read code: its bounding box grown by this fraction of its larger side on every side,
 * so a phone that moved a little between frames stays inside.
 */
export const ROI_MARGIN = 0.35;
/** Smallest margin in pixels, for a code that is only a few pixels across. */
export const ROI_MIN_MARGIN_PX = 24;
/**
 * A crop is enlarged by its pass only up to this many pixels (a 640×480 frame's worth): a crop around a large code
 * is enlarged less, which costs a large code nothing (its modules are big) and keeps every crop cheap.
 */
export const MAX_ROI_PIXELS = 307_200;
/**
 * Crop escalations run at most once in this many frames: a code held in view is still read every other frame,
 * far more often than presence tracking needs (device/presence.ts counts 8 missed frames as "left"), for half
 * the cost.
 */
export const ROI_EVERY = 2;
/** A code read within this many frames is still evidence of where the next frame's code is. */
export const RECENT_HIT_FRAMES = 30;

/** Check a ladder without loading anything. Throws DecodeError BAD_CONFIG. */
export function checkLadder(ladder: Ladder): void {
  if (ladder.engine !== 'zxing' && ladder.engine !== 'jsqr') {
    throw new DecodeError('BAD_CONFIG', `unknown decoder engine "${String(ladder.engine)}" (zxing or jsqr)`);
  }
  if (!Array.isArray(ladder.passes as unknown) || ladder.passes.length === 0)
    throw new DecodeError('BAD_CONFIG', 'strategies must list at least one pass');
  for (const name of ladder.passes) {
    if (!PASS_NAMES.includes(name)) {
      throw new DecodeError('BAD_CONFIG', `unknown strategy "${String(name)}" (one of ${PASS_NAMES.join(', ')})`);
    }
    if (ladder.engine === 'jsqr' && ZXING_ONLY_PASSES.includes(name)) {
      throw new DecodeError('BAD_CONFIG', `strategy "${name}" needs the zxing engine`);
    }
  }
  if (typeof ladder.budgetMs !== 'number' || !(ladder.budgetMs > 0) || !Number.isFinite(ladder.budgetMs)) {
    throw new DecodeError('BAD_CONFIG', 'budgetMs must be a positive number of milliseconds');
  }
  if (!Number.isInteger(ladder.escalateEvery) || ladder.escalateEvery < 1 || ladder.escalateEvery > 1000) {
    throw new DecodeError('BAD_CONFIG', 'escalateEvery must be an integer from 1 to 1000');
  }
}

/** Check a ladder and load its engine. Throws DecodeError BAD_CONFIG / ENGINE_INIT. */
export async function prepareLadder(ladder: Ladder): Promise<void> {
  checkLadder(ladder);
  if (ladder.engine === 'zxing') await loadZxing();
}

function toFrame(corners: readonly Corner[] | null, scale: number): readonly Corner[] | null {
  if (!corners || scale === 1) return corners;
  return corners.map(([x, y]) => [(x + 0.5) / scale - 0.5, (y + 0.5) / scale - 0.5] as const);
}

async function read(engine: EngineName, img: GreyImage, spec: PassSpec): Promise<EngineHit | null> {
  return engine === 'zxing' ? zxingRead(img, spec.zxing) : jsqrRead(img);
}

/** The region to crop around a set of corners, in frame pixels (clamped by `crop`). */
export function regionAround(corners: readonly Corner[]): Region {
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const x1 = Math.max(...xs);
  const y1 = Math.max(...ys);
  const m = Math.max(ROI_MIN_MARGIN_PX, ROI_MARGIN * Math.max(x1 - x0, y1 - y0));
  return { x0: x0 - m, y0: y0 - m, x1: x1 + m + 1, y1: y1 + m + 1 };
}

function shift(corners: readonly Corner[] | null, dx: number, dy: number): readonly Corner[] | null {
  return corners && corners.map(([x, y]) => [x + dx, y + dy] as const);
}

/** What a ladder remembers from frame to frame of one camera stream. */
export interface LadderState {
  /** Frames since the escalation passes last ran on a whole frame (starts high: the first miss may escalate). */
  framesSinceBlind: number;
  /** Frames since the last crop escalation. */
  framesSinceRoi: number;
  /** Corners of the last code read, and how many frames ago. */
  lastHit: { corners: readonly Corner[]; age: number } | null;
  /** Frames decoded, crops escalated, whole frames escalated (for benchmarks and tests). */
  readonly counts: { first: number; roi: number; whole: number };
}

export function newLadderState(): LadderState {
  return {
    framesSinceBlind: Number.MAX_SAFE_INTEGER,
    framesSinceRoi: Number.MAX_SAFE_INTEGER,
    lastHit: null,
    counts: { first: 0, roi: 0, whole: 0 },
  };
}

/** What to try on a frame whose first pass missed: the further passes on a crop, on the whole frame, or both. */
export interface EscalationPlan {
  /** Crop around a recently read code (frame pixels), or null. */
  readonly roi: Region | null;
  /** The further passes on the whole frame too. */
  readonly whole: boolean;
}

function hitOf(name: string, h: EngineHit, scale: number, dx = 0, dy = 0): DecodeHit {
  return { text: h.text, strategy: name, corners: shift(toFrame(h.corners, scale), dx, dy) };
}

/** The ladder's first pass on the whole frame: the cheap read every frame gets. */
export async function runFirstPass(ladder: Ladder, img: GreyImage): Promise<DecodeHit | null> {
  const first = ladder.passes[0]!;
  const spec = PASSES[first];
  const prepared = spec.prepare(img);
  if (!prepared) return null;
  const hit = await read(ladder.engine, prepared.image, spec);
  return hit && hitOf(first, hit, prepared.scale);
}

/**
 * The further passes of the ladder on a frame whose first pass missed: on the plan's crop (strategy `NAME-roi`),
 * then on the whole frame; no pass starts once `budgetMs` has passed since the call.
 */
export async function runEscalation(
  ladder: Ladder,
  img: GreyImage,
  plan: EscalationPlan,
  budgetMs: number,
  now: () => number = () => performance.now(),
): Promise<DecodeHit | null> {
  const start = now();
  const rest = ladder.passes.slice(1);
  if (plan.roi) {
    const region = plan.roi;
    const part = crop(img, region);
    const dx = Math.max(0, Math.min(img.width - 1, Math.floor(region.x0)));
    const dy = Math.max(0, Math.min(img.height - 1, Math.floor(region.y0)));
    for (const name of rest) {
      if (now() - start >= budgetMs) return null;
      const spec = PASSES[name];
      const p = spec.prepare(part, MAX_ROI_PIXELS);
      if (!p) continue;
      const hit = await read(ladder.engine, p.image, spec);
      if (hit) return hitOf(`${name}-roi`, hit, p.scale, dx, dy);
    }
  }
  if (!plan.whole) return null;
  for (const name of rest) {
    if (now() - start >= budgetMs) return null;
    const spec = PASSES[name];
    const p = spec.prepare(img);
    if (!p) continue;
    const hit = await read(ladder.engine, p.image, spec);
    if (hit) return hitOf(name, hit, p.scale);
  }
  return null;
}

/**
 * Run the ladder on one frame; the first read wins.
 * 1. The first pass on the whole frame.
 * 2. On a miss, if a code was read at most RECENT_HIT_FRAMES frames ago, the further passes run on a crop around
 *    where it was (strategy `NAME-roi`): the same code, still in view, at a fraction of a whole frame's cost; at
 *    most once in ROI_EVERY frames.
 * 3. Then the further passes on the whole frame, but only if the last whole-frame escalation is at least
 *    `escalateEvery` frames old: a scene without a code costs about the first pass alone, and a hard code that
 *    stays in view is still read within `escalateEvery` frames.
 * No pass after the first starts once the frame has used `budgetMs`.
 */
export async function runLadder(
  ladder: Ladder,
  img: GreyImage,
  now: () => number = () => performance.now(),
  state: LadderState = newLadderState(),
): Promise<DecodeHit | null> {
  const start = now();
  state.counts.first++;
  state.framesSinceBlind++;
  state.framesSinceRoi++;
  if (state.lastHit) state.lastHit.age++;
  const remember = (hit: DecodeHit | null): DecodeHit | null => {
    if (hit?.corners) state.lastHit = { corners: hit.corners, age: 0 };
    return hit;
  };
  const first = await runFirstPass(ladder, img);
  if (first) return remember(first);
  if (ladder.passes.length < 2) {
    if (state.framesSinceBlind >= ladder.escalateEvery) state.framesSinceBlind = 0;
    return null;
  }
  const recent = state.lastHit && state.lastHit.age <= RECENT_HIT_FRAMES ? state.lastHit : null;
  const left = (): number => ladder.budgetMs - (now() - start);
  if (recent && state.framesSinceRoi >= ROI_EVERY) {
    state.counts.roi++;
    state.framesSinceRoi = 0;
    const hit = await runEscalation(ladder, img, { roi: regionAround(recent.corners), whole: false }, left(), now);
    if (hit) return remember(hit);
    if (left() <= 0) return null;
  }
  if (state.framesSinceBlind < ladder.escalateEvery) return null;
  state.framesSinceBlind = 0;
  state.counts.whole++;
  return remember(await runEscalation(ladder, img, { roi: null, whole: true }, left(), now));
}
