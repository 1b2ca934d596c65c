// Byte layout of one raw frame on a camera process's stdout.
//
// rpicam-vid `--codec yuv420` writes the ISP's buffers as they are: three planes (Y, then U, then V), each row
// padded to the stride. The luma stride is the width rounded up to the ISP's alignment (64 bytes on Pi ≤ 4, 128 on
// Pi 5); the chroma planes have half the luma stride and half the rows (rounded up for odd heights). So
//
//   stride      = ceil(width / align) * align
//   frameBytes  = stride * height + 2 * (stride / 2) * ceil(height / 2)
//
// At 640×480 nothing is padded and a frame is exactly 640·480·3/2 = 460 800 bytes; at 1000×500 with 64-byte
// alignment the stride is 1024 and a frame is 1024·500 + 2·512·250 = 768 000 bytes, of which we keep 1000 bytes
// from each of the first 500 rows. ffmpeg `-pix_fmt gray` writes only the luma plane with no padding.

import { CameraError } from './errors.js';

export interface FrameLayout {
  readonly width: number;
  readonly height: number;
  /** Bytes from the start of one luma row to the next. */
  readonly stride: number;
  /** Bytes of one whole frame in the stream, including padding and chroma planes. */
  readonly frameBytes: number;
}

function checkSize(width: number, height: number): void {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 2 ||
    height < 2 ||
    width > 8192 ||
    height > 8192
  ) {
    throw new CameraError('BAD_OPTIONS', `frame size ${width}x${height} is out of range (2..8192)`);
  }
}

/** Layout of rpicam-vid's raw yuv420 output. `align` is the row alignment in bytes, or an explicit `stride`. */
export function yuv420Layout(
  width: number,
  height: number,
  opts: { align?: number; stride?: number } = {},
): FrameLayout {
  checkSize(width, height);
  let stride: number;
  if (opts.stride !== undefined) {
    stride = opts.stride;
    if (!Number.isInteger(stride) || stride < width || stride % 2 !== 0) {
      throw new CameraError('BAD_OPTIONS', `stride ${stride} must be an even integer ≥ width ${width}`);
    }
  } else {
    const align = opts.align ?? 64;
    if (!Number.isInteger(align) || align < 2 || align % 2 !== 0) {
      throw new CameraError('BAD_OPTIONS', `row alignment ${align} must be an even integer`);
    }
    stride = Math.ceil(width / align) * align;
  }
  const chromaRows = Math.ceil(height / 2);
  return { width, height, stride, frameBytes: stride * height + 2 * (stride / 2) * chromaRows };
}

/** Layout of ffmpeg's `-f rawvideo -pix_fmt gray` output: luma only, no padding. */
export function greyLayout(width: number, height: number): FrameLayout {
  checkSize(width, height);
  return { width, height, stride: width, frameBytes: width * height };
}
