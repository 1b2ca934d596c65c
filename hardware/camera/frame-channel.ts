// The hand-over between a frame producer and one consumer. In 'newest' mode (what cameras use) a frame that the
// consumer has not taken yet is replaced by the next one and counted as dropped, so a slow decoder always gets the
// freshest picture and never a backlog. In 'all' mode every frame is queued (tests, paced replays).

import type { CameraStats, GreyFrame } from './types.js';

interface Waiter {
  resolve: (r: IteratorResult<GreyFrame>) => void;
  reject: (e: unknown) => void;
}

interface Pending {
  frame: GreyFrame;
  taken?: (taken: boolean) => void;
}

export class FrameChannel {
  private readonly queue: Pending[] = [];
  private waiter: Waiter | null = null;
  private ended = false;
  private failure: unknown = null;
  delivered = 0;
  dropped = 0;

  constructor(private readonly mode: 'newest' | 'all' = 'newest') {}

  get isEnded(): boolean {
    return this.ended;
  }

  /** Frames waiting for the consumer (0 or 1 in 'newest' mode). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Offer a frame; `taken` is told whether the consumer got it (true) or it was dropped/discarded (false). */
  put(frame: GreyFrame, taken?: (taken: boolean) => void): void {
    if (this.ended) {
      taken?.(false);
      return;
    }
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      this.delivered++;
      taken?.(true);
      w.resolve({ value: frame, done: false });
      return;
    }
    if (this.mode === 'newest') {
      const old = this.queue.shift();
      if (old) {
        this.dropped++;
        old.taken?.(false);
      }
    }
    this.queue.push({ frame, ...(taken ? { taken } : {}) });
  }

  /** No more frames: the consumer gets what is queued, then the end (or the error, if one is given). */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) this.failure = error;
    const w = this.waiter;
    if (w && this.queue.length === 0) {
      this.waiter = null;
      if (this.failure !== null) w.reject(this.failure);
      else w.resolve({ value: undefined, done: true });
    }
  }

  /** Discard queued frames (close()). */
  clear(): void {
    for (const p of this.queue.splice(0)) p.taken?.(false);
  }

  next(): Promise<IteratorResult<GreyFrame>> {
    const p = this.queue.shift();
    if (p) {
      this.delivered++;
      p.taken?.(true);
      return Promise.resolve({ value: p.frame, done: false });
    }
    if (this.ended) {
      if (this.failure !== null) return Promise.reject(this.failure);
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter) return Promise.reject(new Error('FrameChannel: one consumer at a time'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** An async iterable over this channel. Breaking out of the loop detaches; it does not close the source. */
  iterable(onFirstPull?: () => void): AsyncIterable<GreyFrame> {
    return {
      [Symbol.asyncIterator]: () => {
        let started = false;
        return {
          next: () => {
            if (!started) {
              started = true;
              onFirstPull?.();
            }
            return this.next();
          },
          return: () => Promise.resolve({ value: undefined, done: true as const }),
        };
      },
    };
  }

  stats(restarts = 0): CameraStats {
    return { delivered: this.delivered, dropped: this.dropped, restarts };
  }
}
