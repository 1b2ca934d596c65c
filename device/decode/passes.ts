// The decode passes and the ladder that runs them: the cheap plain read first, escalation only on a miss, and
// no new pass once the frame has used its time budget.
import { resizeBilinear, sharpenAndScale, type GreyImage } from './image-ops.js';
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
  /** Prepare the frame; `scale` maps corners back to frame pixels. Null: the pass adds nothing on this frame. */
  prepare(img: GreyImage): { image: GreyImage; scale: number } | null;
  zxing: ZxingPassOptions;
}

function enlargement(img: GreyImage, nominal: number): number {
  return Math.max(1, Math.min(nominal, Math.sqrt(MAX_ENLARGED_PIXELS / (img.width * img.height))));
}

// tryRotate is off in every pass: zxing's QR detector finds a code at any angle by itself, and the rotated retries
// (meant for linear barcodes) cost ~4× on a frame without a code while reading nothing more on either corpus.
const PASSES: Record<PassName, PassSpec> = {
  plain: { prepare: (image) => ({ image, scale: 1 }), zxing: { tryRotate: false } },
  'upscale-2x': {
    prepare: (img) => {
      const scale = enlargement(img, 2);
      return scale > 1 ? { image: resizeBilinear(img, scale), scale } : null;
    },
    zxing: { tryRotate: false },
  },
  'sharpen-1.5x': {
    prepare: (img) => {
      const scale = enlargement(img, 1.5);
      return { image: sharpenAndScale(img, SHARPEN_SIGMA_PX, SHARPEN_AMOUNT, scale), scale };
    },
    zxing: { tryRotate: false },
  },
  // zxing's own downscaled retry (1/3 of the enlarged frame) stays on here: it reads a few more blurred codes.
  'sharpen-2x': {
    prepare: (img) => {
      const scale = enlargement(img, 2);
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
}

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

/** Run the passes in order on one frame; the first read wins. */
export async function runLadder(
  ladder: Ladder,
  img: GreyImage,
  now: () => number = () => performance.now(),
): Promise<DecodeHit | null> {
  const start = now();
  for (let i = 0; i < ladder.passes.length; i++) {
    const name = ladder.passes[i]!;
    if (i > 0 && now() - start >= ladder.budgetMs) return null;
    const spec = PASSES[name];
    const prepared = spec.prepare(img);
    if (!prepared) continue;
    const hit = await read(ladder.engine, prepared.image, spec);
    if (hit) return { text: hit.text, strategy: name, corners: toFrame(hit.corners, prepared.scale) };
  }
  return null;
}
