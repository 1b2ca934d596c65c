// The machinery shared by every camera that is a child process writing raw frames to stdout (rpicam-vid, ffmpeg):
// spawn without a shell, split stdout into frames exactly, keep only the newest frame, log stderr, and restart
// with exponential backoff when the process exits. What differs per camera (binary, arguments, layout, which
// stderr lines are fatal) comes in a ProcessSpec.

import { spawn as nodeSpawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { Logger } from 'pino';
import { CameraError } from './errors.js';
import { FrameChannel } from './frame-channel.js';
import { FrameSplitter } from './frame-splitter.js';
import type { CameraSource, CameraStats, GreyFrame } from './types.js';
import type { FrameLayout } from './yuv-layout.js';

export interface ProcessSpec {
  /** Absolute path of the binary (already resolved on PATH). */
  readonly command: string;
  readonly args: readonly string[];
  readonly layout: FrameLayout;
  /** A stderr line that means restarting cannot help (e.g. no access to the camera): return the error. */
  readonly fatal?: (line: string) => CameraError | null;
  /** A stderr line that reports the stream's luma stride in bytes (rpicam-vid), or null. */
  readonly reportedStride?: (line: string) => number | null;
  /** The layout's stride is configured (camera.stride): a different reported stride is an error, not adopted. */
  readonly strideFixed?: boolean;
  /** Rebuild the layout for a reported stride (checks it; throws CameraError BAD_OPTIONS). */
  readonly withStride?: (stride: number) => FrameLayout;
}

/**
 * Bytes between quiet gaps in the stream: rpicam-vid with --flush writes each frame at once, so at 15 fps the
 * stream is one burst per frame. Three equal bursts that are not a whole number of expected frames mean the
 * layout is wrong (a padded stride the board model did not predict): the frames would be cut in the wrong
 * places and nothing would ever decode.
 */
export class BurstCheck {
  private last = -Infinity;
  private bytes = 0;
  private readonly bursts: number[] = [];
  private done = false;

  private readonly frameBytes: number;
  private readonly width: number;
  private readonly height: number;

  constructor(
    layout: FrameLayout,
    private readonly gapMs = 15,
    private readonly maxBursts = 30,
  ) {
    this.frameBytes = layout.frameBytes;
    this.width = layout.width;
    this.height = layout.height;
  }

  /** Feed a chunk at time `now` (ms); returns the burst size that contradicts the layout, once, or null. */
  push(n: number, now: number): number | null {
    if (this.done) return null;
    let verdict: number | null = null;
    if (now - this.last > this.gapMs && this.bytes > 0) {
      this.bursts.push(this.bytes);
      verdict = this.judge();
      this.bytes = 0;
    }
    this.bytes += n;
    this.last = now;
    return verdict;
  }

  private judge(): number | null {
    const b = this.bursts.slice(-3);
    if (this.bursts.length > this.maxBursts) this.done = true;
    if (b.length < 3 || b.some((x) => x !== b[0])) return null;
    const size = b[0] as number;
    // Three equal bursts of whole expected frames: the layout fits, nothing more to check.
    if (size % this.frameBytes === 0) {
      this.done = true;
      return null;
    }
    // Only a burst that is itself a plausible frame of another stride is a verdict (paced writers of fixed
    // chunks, or a reader that fell behind, make other equal bursts).
    const stride = strideForFrame(size, this.height);
    if (stride === null || stride < this.width) return null;
    this.done = true;
    return size;
  }
}

/** The luma stride of a yuv420 frame of `bytes` bytes and `height` rows, or null when none fits. */
export function strideForFrame(bytes: number, height: number): number | null {
  const rows = height + Math.ceil(height / 2); // luma rows + the two half-stride chroma planes
  if (bytes % rows !== 0) return null;
  const stride = bytes / rows;
  return stride % 2 === 0 ? stride : null;
}

export interface BackoffOptions {
  /** First restart delay (ms). Default 500. */
  readonly initialMs?: number;
  /** Longest restart delay (ms). Default 30 000. */
  readonly maxMs?: number;
  /** A run that lasted this long resets the delay to initialMs. Default 10 000. */
  readonly stableMs?: number;
}

export interface ProcessCameraOptions {
  /** Resolves the binary and builds the arguments; called before every start, may throw CameraError. */
  readonly spec: () => ProcessSpec;
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly backoff?: BackoffOptions;
  /** Monotonic clock in ms; default performance.now. */
  readonly now?: () => number;
  /** Child-process spawner; default node:child_process spawn. */
  readonly spawn?: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
  /** How long close() waits after SIGTERM before SIGKILL. Default 2000 ms. */
  readonly killTimeoutMs?: number;
  /**
   * A running process that delivers no complete frame for this long (from its start or its last frame) is
   * stopped and restarted: a camera that hangs without exiting. Default 10 000 ms; 0 turns it off.
   */
  readonly stallMs?: number;
}

export interface ProcessCameraStats extends CameraStats {
  /** Complete frames read from the process (delivered + dropped + the one waiting, if any). */
  readonly received: number;
  /** Partial frames thrown away when a process ended mid-frame. */
  readonly partialFrames: number;
  /** Processes stopped because no frame came for stallMs. */
  readonly stalls: number;
  /** Monotonic time of the last complete frame, or null before the first. */
  readonly lastFrameAt: number | null;
  readonly running: boolean;
}

const STDERR_TAIL = 20;

export class ProcessCamera implements CameraSource {
  private readonly channel = new FrameChannel('newest');
  private child: ChildProcess | null = null;
  private splitter: FrameSplitter | null = null;
  private started = false;
  private closed = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private failures = 0;
  private partialFrames = 0;
  private seq = 0;
  private lastFrameAt: number | null = null;
  private readonly now: () => number;
  private readonly exited = new Set<Promise<void>>();
  private stallTimer: NodeJS.Timeout | null = null;
  /** Restarts caused by a stalled process (included in restarts). */
  private stalls = 0;

  constructor(private readonly opts: ProcessCameraOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** Start the process now (frames() also starts it). Throws CameraError when the binary is missing. */
  start(): void {
    if (this.started) return;
    if (this.closed) throw new CameraError('CLOSED', 'camera is closed');
    this.started = true;
    this.launch();
  }

  frames(): AsyncIterable<GreyFrame> {
    return this.channel.iterable(() => {
      try {
        this.start();
      } catch (e) {
        this.channel.end(e);
      }
    });
  }

  /** The layout frames are cut with now (after a stride the camera reported), or null before the start. */
  get layout(): FrameLayout | null {
    return this.splitter?.layout ?? null;
  }

  stats(): ProcessCameraStats {
    return {
      ...this.channel.stats(this.restarts),
      received: this.seq,
      partialFrames: this.partialFrames,
      stalls: this.stalls,
      lastFrameAt: this.lastFrameAt,
      running: this.child !== null,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.disarmStall();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const killer = setTimeout(() => child.kill('SIGKILL'), this.opts.killTimeoutMs ?? 2000);
      child.kill('SIGTERM');
      await Promise.all([...this.exited]);
      clearTimeout(killer);
    }
    this.channel.clear();
    this.channel.end();
  }

  private launch(): void {
    const spec = this.opts.spec(); // may throw BINARY_MISSING: the caller sees it
    const { log } = this.opts;
    let layout = spec.layout;
    let splitter = new FrameSplitter(layout);
    this.splitter = splitter;
    let framesThisRun = 0;
    let burst = new BurstCheck(layout);
    /** End this camera with an error a restart cannot mend (the child is stopped). */
    const fail = (err: CameraError): void => {
      if (fatal) return;
      fatal = err;
      child.kill('SIGTERM');
    };
    const startedAt = this.now();
    log.info({ command: spec.command, args: spec.args, frameBytes: spec.layout.frameBytes }, 'camera process starting');
    const child = (this.opts.spawn ?? nodeSpawn)(spec.command, spec.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.opts.env ?? process.env,
    });
    this.child = child;
    const tail: string[] = [];
    let fatal: CameraError | null = null;
    let spawnError: Error | null = null;
    let resolveExited!: () => void;
    const exited = new Promise<void>((r) => (resolveExited = r));
    this.exited.add(exited);

    this.armStall(child);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (this.splitter !== splitter || fatal) return;
      // luma-only output (ffmpeg gray) has no stride to get wrong
      const wrong = layout.frameBytes === layout.width * layout.height ? null : burst.push(chunk.length, this.now());
      if (wrong !== null) {
        const stride = strideForFrame(wrong, layout.height);
        fail(
          new CameraError(
            'STRIDE_MISMATCH',
            `camera frames are ${wrong} bytes, not the ${layout.frameBytes} of a ${layout.width}x${layout.height} ` +
              `yuv420 frame with stride ${layout.stride}` +
              (stride === null ? '' : `: the stream's stride is ${stride}; set camera.stride: ${stride}`),
          ),
        );
        return;
      }
      for (const luma of splitter.push(chunk)) {
        framesThisRun++;
        this.emit(layout, luma);
        this.armStall(child);
      }
    });
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.trimEnd();
        if (!line) continue;
        tail.push(line);
        if (tail.length > STDERR_TAIL) tail.shift();
        log.debug({ stderr: line }, 'camera stderr');
        fatal ??= spec.fatal?.(line) ?? null;
        const reported = spec.reportedStride?.(line) ?? null;
        if (reported !== null && reported !== layout.stride) {
          if (spec.strideFixed || framesThisRun > 0 || splitter.pending > 0 || !spec.withStride) {
            fail(
              new CameraError(
                'STRIDE_MISMATCH',
                `the camera reports stride ${reported}, the frames are being cut at stride ${layout.stride}: ` +
                  `set camera.stride: ${reported} (or remove camera.stride)`,
              ),
            );
          } else {
            layout = spec.withStride(reported);
            splitter = new FrameSplitter(layout);
            burst = new BurstCheck(layout);
            this.splitter = splitter;
            log.info({ stride: reported, frameBytes: layout.frameBytes }, 'camera stride as reported by the camera');
          }
        }
      }
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      if (partial.trim()) tail.push(partial.trim());
      fatal ??= partial ? (spec.fatal?.(partial) ?? null) : null;
      this.exited.delete(exited);
      resolveExited();
      if (this.child === child) {
        this.child = null;
        this.disarmStall();
      }
      if (splitter.pending > 0) {
        this.partialFrames++;
        log.warn(
          { bytes: splitter.pending, frameBytes: spec.layout.frameBytes },
          'camera process ended mid-frame; partial frame discarded',
        );
      }
      splitter.reset();
      if (this.closed) return;
      const err = spawnError as NodeJS.ErrnoException | null;
      if (err) {
        const code = err.code === 'ENOENT' ? 'BINARY_MISSING' : 'SPAWN_FAILED';
        fatal = new CameraError(code, `could not start ${spec.command}: ${err.code ?? err.message}`);
      }
      if (fatal) {
        log.error({ code: fatal.code, stderr: tail }, fatal.message);
        this.closed = true;
        this.channel.end(fatal);
        return;
      }
      const ranMs = this.now() - startedAt;
      if (ranMs >= (this.opts.backoff?.stableMs ?? 10_000)) this.failures = 0;
      const delay = Math.min(
        (this.opts.backoff?.initialMs ?? 500) * 2 ** this.failures,
        this.opts.backoff?.maxMs ?? 30_000,
      );
      this.failures++;
      log.warn(
        { code, signal, ranMs: Math.round(ranMs), restartInMs: delay, stderr: tail },
        'camera process exited; restarting',
      );
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.closed) return;
        this.restarts++;
        try {
          this.launch();
        } catch (e) {
          log.error({ err: e }, 'camera restart failed');
          this.closed = true;
          this.channel.end(e);
        }
      }, delay);
    });
  }

  private armStall(child: ChildProcess): void {
    const ms = this.opts.stallMs ?? 10_000;
    this.disarmStall();
    if (ms <= 0) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      if (this.closed || this.child !== child) return;
      this.stalls++;
      this.opts.log.warn({ stallMs: ms }, 'camera process delivered no frame in time; stopping it for a restart');
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), this.opts.killTimeoutMs ?? 2000);
      child.once('close', () => clearTimeout(killer));
    }, ms);
  }

  private disarmStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private emit(layout: FrameLayout, data: Uint8Array): void {
    const timestamp = this.now();
    this.lastFrameAt = timestamp;
    this.channel.put({ width: layout.width, height: layout.height, data, timestamp, seq: this.seq++ });
  }
}
