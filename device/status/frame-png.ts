// Encodes the camera's latest grey frame as a PNG with the decode region drawn on it, so an installer can aim
// and focus the camera. Encoding costs ~30 ms per 640×480 frame, so it happens only on request, at most once per
// interval, and concurrent requests share one encode.
import sharp from 'sharp';
import type { LatestFrame } from './model.js';

export interface EncodedFrame {
  readonly bytes: Buffer;
  readonly seq: number;
  /** Whether a decode region is drawn. */
  readonly region: boolean;
}

export interface FrameEncoder {
  /** PNG of the newest frame, or null before the first frame. */
  png(): Promise<EncodedFrame | null>;
}

export function createFrameEncoder(
  source: () => LatestFrame | null,
  opts: { minIntervalMs?: number; clock?: () => number } = {},
): FrameEncoder {
  const minIntervalMs = opts.minIntervalMs ?? 500;
  const clock = opts.clock ?? (() => performance.now());
  let cached: (EncodedFrame & { at: number }) | null = null;
  let pending: Promise<EncodedFrame | null> | null = null;
  const publish = (c: EncodedFrame): EncodedFrame => ({ bytes: c.bytes, seq: c.seq, region: c.region });

  return {
    png() {
      if (cached && clock() - cached.at < minIntervalMs) return Promise.resolve(publish(cached));
      if (pending) return pending;
      const latest = source();
      if (!latest) return Promise.resolve(null);
      const region = latest.corners !== null;
      if (cached && cached.seq === latest.frame.seq && cached.region === region) {
        cached = { ...cached, at: clock() };
        return Promise.resolve(publish(cached));
      }
      pending = encodeFramePng(latest)
        .then((bytes) => {
          cached = { bytes, seq: latest.frame.seq, region, at: clock() };
          return publish(cached);
        })
        .finally(() => {
          pending = null;
        });
      return pending;
    },
  };
}

export async function encodeFramePng({ frame, corners }: LatestFrame): Promise<Buffer> {
  const { width, height } = frame;
  // Copy: the camera may reuse its buffer for the next frame while sharp works on another thread.
  const grey = Buffer.from(frame.data.subarray(0, width * height));
  let image = sharp(grey, { raw: { width, height, channels: 1 } });
  if (corners && corners.length >= 3) {
    image = image.toColourspace('srgb').composite([{ input: Buffer.from(regionSvg(width, height, corners)) }]);
  } else {
    image = image.toColourspace('b-w'); // one channel: a third of the bytes
  }
  return image.png({ compressionLevel: 3 }).toBuffer();
}

/** An SVG overlay outlining the decode region with a dark halo, visible on light and dark scenes alike. */
export function regionSvg(width: number, height: number, corners: readonly (readonly [number, number])[]): string {
  const points = corners.map(([x, y]) => `${round(x)},${round(y)}`).join(' ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<polygon points="${points}" fill="none" stroke="#000" stroke-width="7" stroke-opacity="0.6"/>` +
    `<polygon points="${points}" fill="none" stroke="#00e060" stroke-width="3"/>` +
    `</svg>`
  );
}

function round(n: number): string {
  return Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : '0';
}
