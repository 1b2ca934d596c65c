// The Pi camera (CSI) through rpicam-vid (libcamera-vid before rpicam-apps 1.9), raw yuv420 on stdout.
import fs from 'node:fs';
import type { Logger } from 'pino';
import { CameraError } from './errors.js';
import { ProcessCamera } from './process-camera.js';
import type { BackoffOptions, ProcessCameraOptions, ProcessSpec } from './process-camera.js';
import { findExecutable } from './which.js';
import { yuv420Layout } from './yuv-layout.js';

export type Focus =
  /** Camera Module 3: continuous autofocus limited to the macro range (hunts beyond about 30 cm). */
  | { readonly mode: 'continuous-macro' }
  /** Camera Module 3: continuous autofocus over the normal range. */
  | { readonly mode: 'continuous' }
  /** Fixed lens position in dioptres (1 / distance in metres; 0 = infinity), or a fixed-focus module. */
  | { readonly mode: 'manual'; readonly lensPosition: number }
  /** Leave focus to the camera's defaults (fixed-focus modules). */
  | { readonly mode: 'default' };

export interface RpicamOptions {
  readonly width?: number; // default 640
  readonly height?: number; // default 480
  readonly framerate?: number; // default 15
  readonly focus?: Focus; // default DEFAULT_FOCUS
  /** Exposure compensation in stops, -10..10. Default -1 (phone screens are bright). */
  readonly ev?: number;
  /** Metering mode. Default 'centre'. */
  readonly metering?: 'centre' | 'spot' | 'average';
  /** Fixed shutter time in µs; the AGC then only moves the gain, which caps motion blur. Default none. */
  readonly shutterUs?: number;
  /** Camera index when several are attached. Default 0. */
  readonly camera?: number;
  /** Mounting: rotate 180° (also flips both axes). Default false. */
  readonly rotate180?: boolean;
  /** Luma row alignment: 64 on Pi ≤ 4, 128 on Pi 5, 'auto' reads the board model. Default 'auto'. */
  readonly strideAlign?: 64 | 128 | 'auto';
  /** Explicit luma stride in bytes (overrides strideAlign), for a board that pads differently. */
  readonly stride?: number;
}

/**
 * Default focus for a phone held 20–60 cm from the camera: the lens fixed at 3 dioptres (33 cm). At 640×480 the
 * depth of field around 33 cm spans roughly 23–75 cm (Camera Module 3: 4.74 mm, f/1.8, the 4608-pixel sensor
 * scaled down about 7×), so no focus search is needed; continuous autofocus hunts on a bright, moving phone
 * screen and in the macro range loses phones beyond about 30 cm.
 */
export const DEFAULT_FOCUS: Focus = { mode: 'manual', lensPosition: 3 };

/** Resolve the camera binary on PATH at run time: rpicam-vid, else libcamera-vid. */
export function resolveRpicamBinary(env: NodeJS.ProcessEnv = process.env): string {
  const found = findExecutable('rpicam-vid', env) ?? findExecutable('libcamera-vid', env);
  if (!found) {
    throw new CameraError(
      'BINARY_MISSING',
      'neither rpicam-vid nor libcamera-vid is on PATH: install rpicam-apps (sudo apt install rpicam-apps-lite)',
    );
  }
  return found;
}

/** 128 on a Pi 5 / CM5, 64 elsewhere. `modelFile` is /proc/device-tree/model on a Pi. */
export function detectStrideAlign(modelFile = '/proc/device-tree/model'): 64 | 128 {
  let model: string;
  try {
    model = fs.readFileSync(modelFile, 'utf8');
  } catch {
    return 64;
  }
  return /Raspberry Pi (5|Compute Module 5)/.test(model) ? 128 : 64;
}

function checkRange(name: string, v: number, min: number, max: number): void {
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new CameraError('BAD_OPTIONS', `${name} ${v} is out of range (${min}..${max})`);
  }
}

/** The rpicam-vid argument list (no shell: each value is its own argument). */
export function rpicamArgs(o: RpicamOptions = {}): string[] {
  const width = o.width ?? 640;
  const height = o.height ?? 480;
  const framerate = o.framerate ?? 15;
  if (width % 2 !== 0 || height % 2 !== 0)
    throw new CameraError('BAD_OPTIONS', 'yuv420 needs an even width and height');
  checkRange('framerate', framerate, 1, 120);
  const args = ['-t', '0', '-n', '--codec', 'yuv420', '--width', String(width), '--height', String(height)];
  args.push('--framerate', String(framerate), '--flush', '-o', '-');
  if (o.camera !== undefined) args.push('--camera', String(o.camera));
  if (o.rotate180) args.push('--rotation', '180');
  const focus = o.focus ?? DEFAULT_FOCUS;
  if (focus.mode === 'continuous-macro') args.push('--autofocus-mode', 'continuous', '--autofocus-range', 'macro');
  else if (focus.mode === 'continuous') args.push('--autofocus-mode', 'continuous', '--autofocus-range', 'normal');
  else if (focus.mode === 'manual') {
    checkRange('lensPosition', focus.lensPosition, 0, 32);
    args.push('--autofocus-mode', 'manual', '--lens-position', String(focus.lensPosition));
  }
  const ev = o.ev ?? -1;
  checkRange('ev', ev, -10, 10);
  args.push('--ev', String(ev), '--metering', o.metering ?? 'centre');
  if (o.shutterUs !== undefined) {
    checkRange('shutterUs', o.shutterUs, 100, 1_000_000);
    args.push('--shutter', String(Math.round(o.shutterUs)));
  }
  return args;
}

/** Lines of rpicam-vid's stderr after which restarting cannot help. */
export function rpicamFatal(line: string): CameraError | null {
  if (/Could not open any dmaHeap device|dmaHeap.*Permission denied/i.test(line)) {
    return new CameraError(
      'NO_VIDEO_ACCESS',
      'rpicam-vid could not open any dmaHeap device: add the service user to the video group (usermod -aG video USER)',
    );
  }
  return null;
}

/**
 * The luma stride from a line of rpicam-vid's stderr, when it names one (rpicam-apps print the stream
 * configuration with its stride at higher verbosity, e.g. "… 700x480-YUV420 … stride 768" or "stride: 768").
 * Defensive: only "stride" followed by a number from 2 to 16384 counts; anything else is null.
 */
export function rpicamStride(line: string): number | null {
  const m = /\bstride\b\s*[:=]?\s*(\d{1,5})\b/i.exec(line);
  if (!m) return null;
  const stride = Number(m[1]);
  return stride >= 2 && stride <= 16_384 && stride % 2 === 0 ? stride : null;
}

export interface RpicamCameraOptions extends RpicamOptions {
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly backoff?: BackoffOptions;
  readonly now?: () => number;
  readonly spawn?: ProcessCameraOptions['spawn'];
  /** Restart a process that delivers no frame for this long (ms). Default 10 000. */
  readonly stallMs?: number;
  /** Where the board model is read for strideAlign 'auto'. */
  readonly modelFile?: string;
}

export function createRpicamCamera(o: RpicamCameraOptions): ProcessCamera {
  const args = rpicamArgs(o); // validate options now, not at first frame
  const align =
    o.strideAlign === undefined || o.strideAlign === 'auto' ? detectStrideAlign(o.modelFile) : o.strideAlign;
  const layout = yuv420Layout(
    o.width ?? 640,
    o.height ?? 480,
    o.stride !== undefined ? { stride: o.stride } : { align },
  );
  const spec = (): ProcessSpec => ({
    command: resolveRpicamBinary(o.env),
    args,
    layout,
    fatal: rpicamFatal,
    reportedStride: rpicamStride,
    strideFixed: o.stride !== undefined,
    withStride: (stride) => yuv420Layout(layout.width, layout.height, { stride }),
  });
  return new ProcessCamera({
    spec,
    log: o.log.child({ camera: 'rpicam' }),
    ...(o.env ? { env: o.env } : {}),
    ...(o.backoff ? { backoff: o.backoff } : {}),
    ...(o.now ? { now: o.now } : {}),
    ...(o.spawn ? { spawn: o.spawn } : {}),
    ...(o.stallMs !== undefined ? { stallMs: o.stallMs } : {}),
  });
}
