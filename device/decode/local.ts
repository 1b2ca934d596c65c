// The decoder on the calling thread: frame checks, then the pass ladder. The worker thread runs this same code.
import type { GreyFrame } from '../../hardware/camera/types.js';
import { newLadderState, prepareLadder, runLadder, type Ladder } from './passes.js';
import {
  DEFAULT_BUDGET_MS,
  DEFAULT_ESCALATE_EVERY,
  DEFAULT_STRATEGIES,
  ZXING_ONLY_PASSES,
  DecodeError,
  type DecodeHit,
  type DecoderConfig,
  type FrameDecoder,
} from './types.js';

/** Largest frame side accepted (far above any camera mode) and largest pixel count (a 16 MP still). */
export const MAX_SIDE = 8192;
export const MAX_PIXELS = 16_777_216;

export function ladderFor(config: DecoderConfig): Ladder {
  if (typeof config !== 'object' || config === null)
    throw new DecodeError('BAD_CONFIG', 'decoder config must be an object');
  return {
    engine: config.engine,
    passes:
      config.strategies ??
      (config.engine === 'jsqr'
        ? DEFAULT_STRATEGIES.filter((p) => !ZXING_ONLY_PASSES.includes(p))
        : DEFAULT_STRATEGIES),
    budgetMs: config.budgetMs ?? DEFAULT_BUDGET_MS,
    escalateEvery: config.escalateEvery ?? DEFAULT_ESCALATE_EVERY,
  };
}

/** Throw BAD_FRAME unless the frame is a plausible grey image whose plane matches its size. */
export function checkFrame(frame: GreyFrame): void {
  if (typeof frame !== 'object' || frame === null) throw new DecodeError('BAD_FRAME', 'frame must be an object');
  const { width, height, data } = frame;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > MAX_SIDE ||
    height > MAX_SIDE
  ) {
    throw new DecodeError(
      'BAD_FRAME',
      `frame size ${String(width)}×${String(height)} is not 1..${MAX_SIDE} on each side`,
    );
  }
  if (width * height > MAX_PIXELS)
    throw new DecodeError('BAD_FRAME', `frame of ${width * height} pixels exceeds ${MAX_PIXELS}`);
  if (!(data instanceof Uint8Array)) throw new DecodeError('BAD_FRAME', 'frame data must be a Uint8Array');
  if (data.length !== width * height) {
    throw new DecodeError(
      'BAD_FRAME',
      `frame data has ${data.length} bytes, ${width}×${height} needs ${width * height}`,
    );
  }
}

class LocalDecoder implements FrameDecoder {
  private closed = false;
  readonly state = newLadderState();
  constructor(private readonly ladder: Ladder) {}

  async decode(frame: GreyFrame): Promise<DecodeHit | null> {
    if (this.closed) throw new DecodeError('CLOSED', 'decoder is closed');
    checkFrame(frame);
    return runLadder(this.ladder, frame, undefined, this.state);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A decoder that runs on the calling thread (blocks it while decoding). */
export async function createLocalDecoder(config: DecoderConfig): Promise<FrameDecoder> {
  const ladder = ladderFor(config);
  await prepareLadder(ladder);
  return new LocalDecoder(ladder);
}

/**
 * How often a decoder on this thread ran each stage so far: frames, crop escalations, whole-frame escalations.
 * For a decoder pool, the escalations it planned. Null for any other decoder. For benchmarks and diagnostics.
 */
export function ladderCounts(decoder: FrameDecoder): { first: number; roi: number; whole: number } | null {
  if (decoder instanceof LocalDecoder) return { ...decoder.state.counts };
  const pool = decoder as FrameDecoder & { stats?: () => { first: number; roi: number; whole: number } };
  if (typeof pool.stats !== 'function') return null;
  const { first, roi, whole } = pool.stats();
  return { first, roi, whole };
}
