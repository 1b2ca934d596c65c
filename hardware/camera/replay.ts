// Replays image files (PNG, JPEG, WebP via sharp) or ready GreyFrames as a camera: at a frame rate (newest-frame
// semantics, like a real camera: a slow consumer misses frames) or paced by the consumer (fps 0: every frame is
// delivered once per pass, none dropped — for benchmarks and tests), once or in a loop.

import fs from 'node:fs';
import path from 'node:path';
import { CameraError } from './errors.js';
import { FrameChannel } from './frame-channel.js';
import type { CameraSource, CameraStats, GreyFrame } from './types.js';

export interface ReplayOptions {
  /** A folder of images, a list of image files, or frames already in memory. */
  readonly source: string | readonly string[] | readonly Pick<GreyFrame, 'width' | 'height' | 'data'>[];
  /** Scale (letterboxed) every file to this size; GreyFrames must already have it. Default: each file's own size. */
  readonly size?: { readonly width: number; readonly height: number };
  /** Frames per second; 0 = as fast as the consumer takes them, none dropped. Default 15. */
  readonly fps?: number;
  /** Start again after the last frame. Default false (the iteration ends). */
  readonly loop?: boolean;
  readonly now?: () => number;
  /** Image loader; default loadGreyImage from image-file.ts (sharp, loaded on first use). */
  readonly load?: (file: string, size?: { width: number; height: number }) => Promise<GreyFrame>;
}

const IMAGE_EXT = /\.(png|jpe?g|webp)$/i;

/**
 * The image files of a folder, in name order; a path that names one file is that file alone. A missing or
 * unreadable path is a CameraError BAD_IMAGE (never a bare ENOENT / ENOTDIR).
 */
export function listImages(dir: string): string[] {
  try {
    if (!fs.statSync(dir).isDirectory()) return [dir];
    return fs
      .readdirSync(dir)
      .filter((n) => IMAGE_EXT.test(n))
      .sort()
      .map((n) => path.join(dir, n));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new CameraError('BAD_IMAGE', `cannot replay ${dir} (${code}): give image files or one folder of images`);
  }
}

type Still = Pick<GreyFrame, 'width' | 'height' | 'data'>;

export class ReplayCamera implements CameraSource {
  private readonly fps: number;
  private readonly now: () => number;
  private readonly channel: FrameChannel;
  private stills: Promise<Still[]> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private seq = 0;
  private index = 0;

  constructor(private readonly opts: ReplayOptions) {
    this.fps = opts.fps ?? 15;
    if (!Number.isFinite(this.fps) || this.fps < 0 || this.fps > 1000) {
      throw new CameraError('BAD_OPTIONS', `fps ${this.fps} is out of range (0..1000)`);
    }
    this.now = opts.now ?? (() => performance.now());
    this.channel = new FrameChannel(this.fps === 0 ? 'all' : 'newest');
  }

  /** Decode every image now (frames() does it on first use); rejects with CameraError BAD_IMAGE. */
  load(): Promise<Still[]> {
    this.stills ??= this.loadAll();
    return this.stills;
  }

  frames(): AsyncIterable<GreyFrame> {
    if (this.fps > 0) {
      return this.channel.iterable(() => {
        this.load().then(
          (stills) => this.tick(stills),
          (e: unknown) => this.channel.end(e),
        );
      });
    }
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<GreyFrame>> => {
          const stills = await this.load();
          const f = this.closed ? undefined : this.nextStill(stills);
          if (!f) return { value: undefined, done: true };
          this.channel.delivered++;
          return { value: f, done: false };
        },
        return: async () => ({ value: undefined, done: true as const }),
      }),
    };
  }

  stats(): CameraStats {
    return this.channel.stats();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.channel.clear();
    this.channel.end();
  }

  /** The next frame in order, or undefined at the end of a single pass. */
  private nextStill(stills: Still[]): GreyFrame | undefined {
    if (this.index >= stills.length) {
      if (!this.opts.loop) return undefined;
      this.index = 0;
    }
    const s = stills[this.index++];
    if (!s) return undefined;
    return { width: s.width, height: s.height, data: s.data, timestamp: this.now(), seq: this.seq++ };
  }

  private tick(stills: Still[]): void {
    if (this.closed) return;
    const f = this.nextStill(stills);
    if (!f) {
      this.channel.end();
      return;
    }
    this.channel.put(f);
    this.timer = setTimeout(() => this.tick(stills), 1000 / this.fps);
  }

  private async loadAll(): Promise<Still[]> {
    const { source, size } = this.opts;
    let stills: Still[];
    if (typeof source === 'string' || (source.length > 0 && typeof source[0] === 'string')) {
      const files = typeof source === 'string' ? listImages(source) : (source as readonly string[]);
      const load = this.opts.load ?? (await import('./image-file.js')).loadGreyImage;
      stills = [];
      for (const file of files) {
        try {
          stills.push(await load(file, size));
        } catch (e) {
          throw new CameraError('BAD_IMAGE', `cannot replay ${file}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    } else {
      stills = [...(source as readonly Still[])];
      for (const s of stills) {
        if (s.data.length !== s.width * s.height || (size && (s.width !== size.width || s.height !== size.height))) {
          throw new CameraError(
            'BAD_IMAGE',
            `a replay frame is ${s.width}×${s.height} (${s.data.length} bytes), not the configured size`,
          );
        }
      }
    }
    if (stills.length === 0) throw new CameraError('BAD_IMAGE', 'nothing to replay: no PNG, JPEG or WebP images found');
    return stills;
  }
}
