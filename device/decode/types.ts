// The decoder contract: a grey camera frame in, the text of one QR code (or null) out.
import type { GreyFrame } from '../../hardware/camera/types.js';

export type EngineName = 'zxing' | 'jsqr';

/**
 * One decode pass: how the frame is prepared before the engine reads it. Passes run in the configured order
 * and the first one that reads a code wins, so the cheap pass goes first.
 * - `plain`: the frame as the camera gave it.
 * - `sharpen-2x`, `sharpen-1.5x`: unsharp mask (σ 2 px, amount 1.5) then bilinear enlargement — reads codes
 *   whose modules are small and blurred, and flattens glare and uneven light at the same time.
 * - `upscale-2x`: bilinear 2× enlargement only (small modules).
 * - `denoise`: zxing's own morphological closing (`tryDenoise`) on the plain frame; zxing only.
 * Enlarging passes never make an image above MAX_ENLARGED_PIXELS (they enlarge less instead).
 */
export type PassName = 'plain' | 'upscale-2x' | 'sharpen-1.5x' | 'sharpen-2x' | 'denoise';

export const PASS_NAMES: readonly PassName[] = ['plain', 'upscale-2x', 'sharpen-1.5x', 'sharpen-2x', 'denoise'];

export interface DecoderConfig {
  /** QR engine. Default `zxing` (zxing-wasm, the .wasm shipped in the package); `jsqr` is the pure-JS fallback. */
  readonly engine: EngineName;
  /** Passes tried in order until one reads a code. Default: DEFAULT_STRATEGIES (for jsqr without zxing-only passes). */
  readonly strategies?: readonly PassName[];
  /** Decode in worker threads so the caller's event loop never blocks. Default true. */
  readonly worker?: boolean;
  /**
   * How many decode worker threads (with `worker`): the first pass of each frame on one, escalations on the
   * others in parallel. Default: every core (os.availableParallelism(), at most 8).
   */
  readonly workers?: number;
  /**
   * Time budget per frame in milliseconds: a further pass starts only while the frame has used less than this.
   * The first pass always runs. Default DEFAULT_BUDGET_MS.
   */
  readonly budgetMs?: number;
  /**
   * A decoder serves one camera stream. On a miss the further passes run on a crop around the code read in a recent
   * frame (if any), and on the whole frame at most once in this many frames. 1: every miss escalates on the whole
   * frame (use it for unrelated images). Default DEFAULT_ESCALATE_EVERY.
   */
  readonly escalateEvery?: number;
}

/**
 * The default ladder (both engines). `denoise` read 1 photo more on the corpora but costs a further zxing read on
 * every escalation, so it is left to configure.
 */
export const DEFAULT_STRATEGIES: readonly PassName[] = ['plain', 'sharpen-2x'];
/** Passes that only the zxing engine can run. */
export const ZXING_ONLY_PASSES: readonly PassName[] = ['denoise'];
export const DEFAULT_BUDGET_MS = 150;
/** A code in view at 30 frames/s that only a whole-frame escalation reads is read within 8 frames (≤ 267 ms). */
export const DEFAULT_ESCALATE_EVERY = 8;

export type Corner = readonly [number, number];

export interface DecodeHit {
  readonly text: string;
  /** The pass that read the code, e.g. `plain` or `sharpen-2x`. */
  readonly strategy: string;
  /** Symbol corners in frame pixels: top-left, top-right, bottom-right, bottom-left (symbol orientation). */
  readonly corners: readonly Corner[] | null;
}

/** Receives a read that an escalation made after decode() had resolved with the first pass's miss. */
export type LateHit = (hit: DecodeHit) => void;

export interface FrameDecoder {
  /**
   * Decode one frame. Without `late`: the final result (first pass or escalation). With `late` a decoder may
   * resolve with the first pass's result and report an escalation's read through `late` later (at most once).
   */
  decode(frame: GreyFrame, late?: LateHit): Promise<DecodeHit | null>;
  close(): Promise<void>;
}

export type DecodeReason = 'BAD_FRAME' | 'BAD_CONFIG' | 'ENGINE_INIT' | 'WORKER_FAILED' | 'CLOSED';

/** Every decoder failure; `code` is stable, the message never contains frame data or decoded text. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly code: DecodeReason,
    message: string,
  ) {
    super(message);
  }
}
