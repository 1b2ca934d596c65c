// The QR decoder: `createDecoder(config)` gives a FrameDecoder that reads one code per grey frame.
import os from 'node:os';
import { createLocalDecoder, ladderFor } from './local.js';
import { checkLadder } from './passes.js';
import { DecoderPool, defaultWorkers } from './pool.js';
import type { DecoderConfig, FrameDecoder } from './types.js';

export * from './types.js';
export { MAX_PIXELS, MAX_SIDE, ladderCounts } from './local.js';
export { DecoderPool, defaultWorkers, STALE_FRAMES, type PoolStats } from './pool.js';

/**
 * Create a decoder. By default (worker: true) it decodes in a pool of worker threads (`workers`, default every
 * core); config errors are reported before any thread starts (DecodeError BAD_CONFIG), engine load errors as
 * ENGINE_INIT.
 */
export async function createDecoder(config: DecoderConfig): Promise<FrameDecoder> {
  if (config.worker === false) return createLocalDecoder(config);
  checkLadder(ladderFor(config));
  return DecoderPool.start(config, config.workers ?? defaultWorkers(os.availableParallelism()));
}
