// Typed camera errors. The code is stable (tests and callers switch on it); the message says what to do.

export type CameraErrorCode =
  /** Neither rpicam-vid nor libcamera-vid (or ffmpeg for USB) is on PATH. */
  | 'BINARY_MISSING'
  /** The process cannot reach the camera buffers: the user is not in the `video` group. */
  | 'NO_VIDEO_ACCESS'
  /** The binary exists but could not be started (permissions, not executable). */
  | 'SPAWN_FAILED'
  /** Width, height, frame rate or stride out of range. */
  | 'BAD_OPTIONS'
  /** A replay image could not be read or has the wrong size. */
  | 'BAD_IMAGE'
  /** The stream's frames do not fit the expected yuv420 layout (stride): set camera.stride. */
  | 'STRIDE_MISMATCH'
  /** frames() was iterated after close(). */
  | 'CLOSED';

export class CameraError extends Error {
  override readonly name = 'CameraError';
  constructor(
    readonly code: CameraErrorCode,
    message: string,
  ) {
    super(message);
  }
}
