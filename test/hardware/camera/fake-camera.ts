// Test helper: put a fake camera binary (rpicam-vid, libcamera-vid or ffmpeg) first on PATH in a temp dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../fixtures/fake-camera.mjs', import.meta.url));

export interface FakeRun {
  frames?: number;
  chunks?: number[];
  stallMs?: number;
  stallAfterFrames?: number;
  partialBytes?: number;
  exitCode?: number;
  stderr?: string[];
  holdMs?: number;
  paceMs?: number;
}

export interface FakeCamera {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Argument lists the fake was started with, one per run. */
  runs(): string[][];
  cleanup(): void;
}

export function installFakeCamera(
  name: 'rpicam-vid' | 'libcamera-vid' | 'ffmpeg',
  plan: { runs: FakeRun[]; align?: number; format?: 'yuv420' | 'gray' },
): FakeCamera {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const exe = path.join(bin, name);
  fs.writeFileSync(exe, `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
  fs.chmodSync(exe, 0o755);
  const state = path.join(dir, 'state');
  const env = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
    FAKE_PLAN: JSON.stringify(plan),
    FAKE_STATE: state,
  };
  return {
    dir,
    env,
    runs: () => {
      try {
        return fs
          .readFileSync(state + '.args', 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as string[]);
      } catch {
        return [];
      }
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The luma byte the fake writes at (row, col) of frame `id`. */
export function expectedLuma(id: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++) out[r * width + c] = (id * 31 + r * 7 + c * 13) & 0xff;
  out[0] = (id >> 8) & 0xff;
  out[1] = id & 0xff;
  return out;
}

/** The frame id written in the first two bytes, after checking that every other byte belongs to that frame. */
export function identify(data: Uint8Array, width: number, height: number): number {
  const id = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
  const want = expectedLuma(id, width, height);
  if (data.length !== want.length) throw new Error(`frame length ${data.length}, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (data[i] !== want[i]) throw new Error(`frame ${id} torn or shifted at byte ${i} (row ${Math.floor(i / width)})`);
  }
  return id;
}
