// A USB (UVC) camera through ffmpeg's v4l2 input, decoded to grey frames on stdout. Same machinery as rpicam-vid.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { CameraError } from './errors.js';
import { ProcessCamera } from './process-camera.js';
import type { BackoffOptions, ProcessCameraOptions, ProcessSpec } from './process-camera.js';
import { findExecutable } from './which.js';
import { greyLayout } from './yuv-layout.js';

export interface UsbCameraOptions {
  /** V4L2 device; prefer a stable /dev/v4l/by-id/… path. Default: the first by-id entry, else /dev/video0. */
  readonly device?: string;
  readonly width?: number; // default 640
  readonly height?: number; // default 480
  readonly framerate?: number; // default 15
  /** What the camera sends over USB; most UVC cameras reach 640×480 at 15+ fps only as MJPEG. Default 'mjpeg'. */
  readonly inputFormat?: 'mjpeg' | 'yuyv422';
}

/** The first /dev/v4l/by-id entry (stable across reboots and ports), else /dev/video0. */
export function defaultUsbDevice(devRoot = '/dev'): string {
  const byId = path.join(devRoot, 'v4l', 'by-id');
  try {
    const first = fs
      .readdirSync(byId)
      .filter((n) => n.endsWith('-video-index0'))
      .sort()[0];
    if (first) return path.join(byId, first);
  } catch {
    // no by-id links
  }
  return path.join(devRoot, 'video0');
}

export function ffmpegArgs(o: UsbCameraOptions & { device: string }): string[] {
  const width = o.width ?? 640;
  const height = o.height ?? 480;
  const framerate = o.framerate ?? 15;
  if (!Number.isFinite(framerate) || framerate < 1 || framerate > 120) {
    throw new CameraError('BAD_OPTIONS', `framerate ${framerate} is out of range (1..120)`);
  }
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'warning',
    '-f',
    'v4l2',
    '-input_format',
    o.inputFormat ?? 'mjpeg',
    '-framerate',
    String(framerate),
    '-video_size',
    `${width}x${height}`,
    '-i',
    o.device,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'gray',
    '-',
  ];
}

export function ffmpegFatal(line: string): CameraError | null {
  if (/\/dev\/video\S*: Permission denied/i.test(line)) {
    return new CameraError('NO_VIDEO_ACCESS', 'ffmpeg cannot open the camera: add the service user to the video group');
  }
  return null;
}

export interface UsbCameraFactoryOptions extends UsbCameraOptions {
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly backoff?: BackoffOptions;
  readonly now?: () => number;
  readonly spawn?: ProcessCameraOptions['spawn'];
  /** Restart a process that delivers no frame for this long (ms). Default 10 000. */
  readonly stallMs?: number;
}

export function createUsbCamera(o: UsbCameraFactoryOptions): ProcessCamera {
  const device = o.device ?? defaultUsbDevice();
  const args = ffmpegArgs({ ...o, device });
  const layout = greyLayout(o.width ?? 640, o.height ?? 480);
  const spec = (): ProcessSpec => {
    const command = findExecutable('ffmpeg', o.env);
    if (!command) throw new CameraError('BINARY_MISSING', 'ffmpeg is not on PATH: sudo apt install ffmpeg');
    return { command, args, layout, fatal: ffmpegFatal };
  };
  return new ProcessCamera({
    spec,
    log: o.log.child({ camera: 'usb', device }),
    ...(o.env ? { env: o.env } : {}),
    ...(o.backoff ? { backoff: o.backoff } : {}),
    ...(o.now ? { now: o.now } : {}),
    ...(o.spawn ? { spawn: o.spawn } : {}),
    ...(o.stallMs !== undefined ? { stallMs: o.stallMs } : {}),
  });
}
