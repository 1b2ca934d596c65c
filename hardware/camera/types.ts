// The camera contract: an async stream of grey frames. Every source (rpicam-vid, USB via ffmpeg, replay of
// image files, the simulated twin) implements it, so the pipeline never knows which one it reads.

export interface GreyFrame {
  readonly width: number;
  readonly height: number;
  /** Luma plane, row-major, exactly `width` bytes per row (stride already removed). */
  readonly data: Uint8Array;
  /** Monotonic arrival time in milliseconds (performance.now() clock). */
  readonly timestamp: number;
  /** Running frame number of this source, from 0. */
  readonly seq: number;
}

export interface CameraStats {
  readonly delivered: number;
  /** Frames replaced by a newer one before the consumer took them. */
  readonly dropped: number;
  readonly restarts: number;
}

export interface CameraSource {
  /** Frames as they arrive; when the consumer is slow only the newest frame is kept. Ends when closed. */
  frames(): AsyncIterable<GreyFrame>;
  stats(): CameraStats;
  close(): Promise<void>;
}
