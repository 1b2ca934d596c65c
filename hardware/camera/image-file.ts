// Image files (PNG, JPEG, WebP, …) as grey camera frames, through sharp. Used by the replay camera, the
// `decode` command and the benchmarks, so every path turns a file into the same 8-bit luma plane.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { GreyFrame } from './types.js';

export type ImageLoadReason = 'UNREADABLE' | 'NOT_AN_IMAGE' | 'BAD_SIZE';

/** A file that cannot become a grey frame. The message names the file, never its contents. */
export class ImageLoadError extends Error {
  override readonly name = 'ImageLoadError';
  constructor(
    readonly code: ImageLoadReason,
    message: string,
  ) {
    super(message);
  }
}

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

/** Largest side accepted for a target size: far above any camera mode, small enough to refuse a typo. */
const MAX_SIDE = 8192;
/** Letterbox fill when the image's aspect differs from the target size: neutral mid grey. */
const PAD_GREY = 128;

function checkSize(size: FrameSize): void {
  for (const [name, v] of [
    ['width', size.width],
    ['height', size.height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) {
      throw new ImageLoadError('BAD_SIZE', `${name} must be an integer 1..${MAX_SIDE}, got ${String(v)}`);
    }
  }
}

/**
 * Load an image file as an 8-bit grey frame. Transparent areas are flattened onto white (a QR code drawn on a
 * transparent background keeps its quiet zone). With `size`, the image is scaled to fit inside it keeping its
 * aspect ratio and letterboxed with mid grey, so the frame is exactly `size` — as a camera at that mode would give.
 */
export async function loadGreyImage(file: string, size?: FrameSize): Promise<GreyFrame> {
  if (size) checkSize(size);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ImageLoadError('UNREADABLE', `cannot read ${file}: ${code}`);
  }
  return greyFromEncoded(bytes, file, size);
}

/** Decode encoded image bytes (any format sharp reads) into a grey frame; `label` names the source in errors. */
export async function greyFromEncoded(bytes: Uint8Array, label: string, size?: FrameSize): Promise<GreyFrame> {
  if (size) checkSize(size);
  try {
    let pipeline = sharp(bytes, { failOn: 'none' }).rotate().flatten({ background: '#ffffff' });
    if (size) {
      pipeline = pipeline.resize(size.width, size.height, {
        fit: 'contain',
        background: { r: PAD_GREY, g: PAD_GREY, b: PAD_GREY },
        kernel: 'lanczos3',
      });
    }
    const { data, info } = await pipeline.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`expected 1 channel, got ${info.channels}`);
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      timestamp: performance.now(),
      seq: 0,
    };
  } catch (err) {
    if (err instanceof ImageLoadError) throw err;
    throw new ImageLoadError(
      'NOT_AN_IMAGE',
      `${label}: not a readable image (${(err as Error).message.split('\n')[0]})`,
    );
  }
}

/** Encode a grey frame as a PNG file (for saving rendered scenes and debugging frames). */
export async function saveGreyPng(frame: GreyFrame, file: string): Promise<void> {
  await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 1 } })
    .png()
    .toFile(file);
}
