// Messages between the decoder client (caller's thread) and the decode worker thread.
import type { DecodeHit, DecodeReason, DecoderConfig } from './types.js';

export interface WorkerInit {
  readonly config: DecoderConfig;
}

export interface DecodeRequest {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  /** A private copy of the luma plane, transferred (not cloned) to the worker. */
  readonly data: ArrayBuffer;
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-failed'; readonly code: DecodeReason; readonly message: string }
  | { readonly type: 'result'; readonly id: number; readonly hit: DecodeHit | null }
  | { readonly type: 'failed'; readonly id: number; readonly code: DecodeReason; readonly message: string };
