// The QR decoder: `createDecoder(config)` gives a FrameDecoder that reads one code per grey frame.
import { createLocalDecoder, ladderFor } from './local.js';
import { checkLadder } from './passes.js';
import type { DecoderConfig, FrameDecoder } from './types.js';
import { WorkerDecoder } from './worker-client.js';

export * from './types.js';
export { MAX_PIXELS, MAX_SIDE, ladderCounts } from './local.js';

/**
 * Create a decoder. By default (worker: true) it decodes in a worker thread; config errors are reported before
 * any thread starts (DecodeError BAD_CONFIG), engine load errors as ENGINE_INIT.
 */
export async function createDecoder(config: DecoderConfig): Promise<FrameDecoder> {
  if (config.worker === false) return createLocalDecoder(config);
  checkLadder(ladderFor(config));
  return WorkerDecoder.start(config);
}
