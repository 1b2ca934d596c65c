// The simulated camera: a test (or the demo) pushes frames, the consumer reads them through the same contract as
// a real camera. By default it behaves like one (only the newest unread frame is kept, the rest are dropped);
// `mode: 'all'` queues every frame for tests that want each one decoded.

import { CameraError } from '../errors.js';
import { FrameChannel } from '../frame-channel.js';
import type { CameraSource, CameraStats, GreyFrame } from '../types.js';

export interface SimCameraOptions {
  readonly mode?: 'newest' | 'all';
  /** Monotonic clock for frame timestamps; default performance.now. */
  readonly now?: () => number;
}

export type PushedFrame = Pick<GreyFrame, 'width' | 'height' | 'data'>;

export class SimCamera implements CameraSource {
  private readonly channel: FrameChannel;
  private readonly now: () => number;
  private seq = 0;

  constructor(opts: SimCameraOptions = {}) {
    this.channel = new FrameChannel(opts.mode ?? 'newest');
    this.now = opts.now ?? (() => performance.now());
  }

  /** Frames pushed so far. */
  get pushed(): number {
    return this.seq;
  }

  /**
   * Offer a frame as if the camera had just captured it (timestamp and seq are assigned here).
   * Resolves true when the consumer took it, false when it was replaced by a newer one or the camera closed.
   */
  push(frame: PushedFrame): Promise<boolean> {
    if (frame.data.length !== frame.width * frame.height) {
      throw new CameraError(
        'BAD_IMAGE',
        `frame data has ${frame.data.length} bytes, want ${frame.width}×${frame.height}`,
      );
    }
    return new Promise((resolve) => {
      this.channel.put(
        { width: frame.width, height: frame.height, data: frame.data, timestamp: this.now(), seq: this.seq++ },
        resolve,
      );
    });
  }

  /** No more frames: the consumer's loop ends after the queued ones. */
  end(): void {
    this.channel.end();
  }

  frames(): AsyncIterable<GreyFrame> {
    return this.channel.iterable();
  }

  stats(): CameraStats {
    return this.channel.stats();
  }

  async close(): Promise<void> {
    this.channel.clear();
    this.channel.end();
  }
}
