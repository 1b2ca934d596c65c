// Messages between the decoder pool (caller's thread) and its decode worker threads. A worker keeps no state from
// frame to frame: the pool plans every job (the first pass, or an escalation on a crop and/or the whole frame).
import type { EscalationPlan } from './passes.js';
import type { DecodeHit, DecodeReason, DecoderConfig } from './types.js';

export interface WorkerInit {
  readonly config: DecoderConfig;
  /**
   * Nice steps below the thread that started the worker (Linux: per thread); the pool's escalation workers yield
   * to its first-pass worker and to the pipeline's thread, whatever priority the process was given.
   */
  readonly nice: number;
}

interface FrameJob {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  /** A private copy of the luma plane, transferred (not cloned) to the worker. */
  readonly data: ArrayBuffer;
}

/** The ladder's first pass on the whole frame. The worker sends the plane back (for an escalation, or for reuse). */
export interface FirstPassRequest extends FrameJob {
  readonly kind: 'first';
}

/** The further passes as planned by the pool, within `budgetMs` from their start. */
export interface EscalationRequest extends FrameJob {
  readonly kind: 'escalate';
  readonly plan: EscalationPlan;
  readonly budgetMs: number;
}

export type DecodeRequest = FirstPassRequest | EscalationRequest;

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-failed'; readonly code: DecodeReason; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly hit: DecodeHit | null;
      /** Time the job took in the worker, ms. */
      readonly ms: number;
      /** The plane, handed back (transferred) after every job: for an escalation, or for the pool to reuse. */
      readonly data: ArrayBuffer | null;
    }
  | { readonly type: 'failed'; readonly id: number; readonly code: DecodeReason; readonly message: string };
