// Drives the real spawn-and-split code with a fake rpicam-vid / ffmpeg placed first on PATH.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCamera } from '../../../hardware/camera/process-camera.js';
import { greyLayout } from '../../../hardware/camera/yuv-layout.js';
import { createRpicamCamera, resolveRpicamBinary } from '../../../hardware/camera/rpicam.js';
import { createUsbCamera } from '../../../hardware/camera/usb.js';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { captureLog } from '../../support/log.js';
import { identify, installFakeCamera } from './fake-camera.js';
import type { FakeCamera } from './fake-camera.js';

const fakes: FakeCamera[] = [];
afterEach(() => {
  for (const f of fakes.splice(0)) f.cleanup();
});
function fake(...a: Parameters<typeof installFakeCamera>): FakeCamera {
  const f = installFakeCamera(...a);
  fakes.push(f);
  return f;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function take(it: AsyncIterator<GreyFrame>, n: number): Promise<GreyFrame[]> {
  const out: GreyFrame[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('rpicam-vid source', () => {
  it('splits odd chunks, survives a stall, drops a partial last frame and restarts', async () => {
    // width 100 is not a multiple of 64: rows carry 28 bytes of padding (stride 128)
    const f = fake('rpicam-vid', {
      align: 64,
      runs: [
        {
          frames: 5,
          chunks: [1, 7, 4093, 333, 65537, 2],
          stallMs: 250,
          stallAfterFrames: 2,
          partialBytes: 5000,
          exitCode: 1,
          stderr: ['[0:00:01] INFO Camera started'],
        },
        { frames: 4, chunks: [999, 12_345, 3], holdMs: 5000 },
      ],
    });
    const { log, records } = captureLog();
    const cam = createRpicamCamera({
      log,
      env: f.env,
      width: 100,
      height: 60,
      strideAlign: 64,
      backoff: { initialMs: 30 },
    });
    const seen: GreyFrame[] = [];
    for await (const fr of cam.frames()) {
      seen.push(fr);
      if ((((fr.data[0] ?? 0) << 8) | (fr.data[1] ?? 0)) === 1003) break; // the last frame of the second run
    }
    // every frame is whole and belongs to exactly one id; seq counts complete frames, so seq gives the position
    // of the id in the full sequence 0..4, 1000..1003 and shows that nothing was torn, shifted or skipped silently
    const ids = seen.map((fr) => identify(fr.data, 100, 60));
    const order = [0, 1, 2, 3, 4, 1000, 1001, 1002, 1003];
    for (const [i, fr] of seen.entries()) {
      expect(fr.width).toBe(100);
      expect(fr.height).toBe(60);
      expect(order[fr.seq]).toBe(ids[i]);
    }
    expect(ids.at(-1)).toBe(1003);
    expect(ids.some((id) => id < 1000)).toBe(true);
    const st = cam.stats();
    expect(st.restarts).toBe(1);
    expect(st.partialFrames).toBe(1);
    expect(st.delivered + st.dropped).toBe(9);
    expect(st.delivered).toBe(seen.length);
    await cam.close();
    expect(cam.stats().running).toBe(false);
    const exitLog = records().find((r) => r.msg === 'camera process exited; restarting');
    expect(exitLog).toMatchObject({ code: 1, stderr: ['[0:00:01] INFO Camera started'] });
    const [args] = f.runs();
    expect(args).toEqual(
      expect.arrayContaining(['--codec', 'yuv420', '--width', '100', '--height', '60', '-o', '-', '--flush']),
    );
  });

  it('handles the 128-byte stride of a Pi 5', async () => {
    const f = fake('rpicam-vid', { align: 128, runs: [{ frames: 3, chunks: [777], holdMs: 5000 }] });
    const cam = createRpicamCamera({ log: captureLog().log, env: f.env, width: 200, height: 40, strideAlign: 128 });
    const it = cam.frames()[Symbol.asyncIterator]();
    const got = await take(it, 1);
    for (let i = 0; i < 100 && cam.stats().received < 3; i++) await sleep(10);
    got.push(...(await take(it, 1)));
    // whole frames, in order, the last one is frame 2
    expect(got.map((fr) => identify(fr.data, 200, 40))).toEqual([got[0]?.seq, 2]);
    await cam.close();
  });

  it('keeps only the newest frame for a slow consumer and counts the dropped ones', async () => {
    const f = fake('rpicam-vid', { runs: [{ frames: 30, chunks: [50_000], holdMs: 5000 }] });
    const cam = createRpicamCamera({ log: captureLog().log, env: f.env, width: 64, height: 32, strideAlign: 64 });
    const it = cam.frames()[Symbol.asyncIterator]();
    const [first] = await take(it, 1);
    expect(identify(first?.data ?? new Uint8Array(), 64, 32)).toBe(0);
    // be slow: let the remaining 29 frames arrive
    for (let i = 0; i < 100 && cam.stats().received < 30; i++) await sleep(20);
    const [newest] = await take(it, 1);
    expect(identify(newest?.data ?? new Uint8Array(), 64, 32)).toBe(29);
    expect(newest?.seq).toBe(29);
    expect(cam.stats()).toMatchObject({ delivered: 2, dropped: 28 });
    await cam.close();
  });

  it('restarts a process that hangs without exiting', async () => {
    const f = fake('rpicam-vid', {
      runs: [
        { frames: 1, holdMs: 30_000 },
        { frames: 2, holdMs: 30_000 },
      ],
    });
    const cam = createRpicamCamera({
      log: captureLog().log,
      env: f.env,
      width: 64,
      height: 16,
      strideAlign: 64,
      stallMs: 1500,
      backoff: { initialMs: 10 },
    });
    const ids: number[] = [];
    for await (const fr of cam.frames()) {
      ids.push(identify(fr.data, 64, 16));
      if ((ids.at(-1) ?? 0) % 1000 === 1 && (ids.at(-1) ?? 0) > 1000) break; // frame 1 of a restarted run
    }
    expect(ids[0]).toBe(0);
    expect(ids.at(-1)).toBeGreaterThan(1000);
    // the hung first process was stopped and a new one started (more than once if this machine is slow)
    expect(cam.stats().stalls).toBeGreaterThanOrEqual(1);
    expect(cam.stats().restarts).toBe(cam.stats().stalls);
    await cam.close();
  });

  it('falls back to libcamera-vid', async () => {
    const f = fake('libcamera-vid', { runs: [{ frames: 1 }] });
    expect(resolveRpicamBinary(f.env)).toMatch(/libcamera-vid$/);
  });

  it('gives BINARY_MISSING when neither binary is on PATH', async () => {
    const env = { ...process.env, PATH: '/nonexistent-gatecode' };
    expect(() => resolveRpicamBinary(env)).toThrow(expect.objectContaining({ code: 'BINARY_MISSING' }));
    const cam = createRpicamCamera({ log: captureLog().log, env });
    await expect(take(cam.frames()[Symbol.asyncIterator](), 1)).rejects.toMatchObject({
      name: 'CameraError',
      code: 'BINARY_MISSING',
    });
    await cam.close();
  });

  it('stops with NO_VIDEO_ACCESS on "Could not open any dmaHeap device" instead of restarting', async () => {
    const f = fake('rpicam-vid', {
      runs: [{ frames: 0, stderr: ['ERROR: *** Could not open any dmaHeap device ***'], exitCode: 255 }],
    });
    const cam = createRpicamCamera({ log: captureLog().log, env: f.env, backoff: { initialMs: 10 } });
    await expect(take(cam.frames()[Symbol.asyncIterator](), 1)).rejects.toMatchObject({ code: 'NO_VIDEO_ACCESS' });
    await sleep(50);
    expect(f.runs()).toHaveLength(1);
    expect(cam.stats().restarts).toBe(0);
  });

  it('backs off exponentially between restarts', async () => {
    const f = fake('rpicam-vid', { runs: [{ frames: 0, exitCode: 3 }] });
    const { log, records } = captureLog();
    const cam = createRpicamCamera({ log, env: f.env, backoff: { initialMs: 20, maxMs: 80 } });
    cam.start();
    for (let i = 0; i < 200 && f.runs().length < 5; i++) await sleep(20);
    await cam.close();
    const delays = records()
      .filter((r) => r.msg === 'camera process exited; restarting')
      .map((r) => r.restartInMs);
    expect(delays.slice(0, 4)).toEqual([20, 40, 80, 80]);
  });

  it('builds focus and exposure arguments and rejects bad ones', async () => {
    const { rpicamArgs } = await import('../../../hardware/camera/rpicam.js');
    const a = rpicamArgs({
      focus: { mode: 'manual', lensPosition: 5 },
      ev: -1.5,
      metering: 'spot',
      shutterUs: 8000,
      rotate180: true,
    });
    expect(a.join(' ')).toContain('--autofocus-mode manual --lens-position 5');
    expect(a.join(' ')).toContain('--ev -1.5 --metering spot --shutter 8000');
    expect(a.join(' ')).toContain('--rotation 180');
    expect(rpicamArgs().join(' ')).toContain('--autofocus-mode manual --lens-position 3');
    expect(rpicamArgs({ focus: { mode: 'continuous' } }).join(' ')).toContain('--autofocus-range normal');
    expect(() => rpicamArgs({ width: 641 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => rpicamArgs({ ev: 20 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
  });
});

describe('ProcessCamera', () => {
  it('gives SPAWN_FAILED when the binary cannot be executed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
    const file = path.join(dir, 'rpicam-vid');
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 }); // not executable
    const cam = new ProcessCamera({
      spec: () => ({ command: file, args: [], layout: greyLayout(4, 4) }),
      log: captureLog().log,
    });
    await expect(take(cam.frames()[Symbol.asyncIterator](), 1)).rejects.toMatchObject({ code: 'SPAWN_FAILED' });
    fs.rmSync(dir, { recursive: true });
  });
});

describe('USB source (ffmpeg)', () => {
  it('reads unpadded grey frames through the same machinery', async () => {
    const f = fake('ffmpeg', { format: 'gray', runs: [{ frames: 4, chunks: [1234, 5], holdMs: 5000 }] });
    const cam = createUsbCamera({ log: captureLog().log, env: f.env, device: '/dev/video9', width: 90, height: 30 });
    const seen: number[] = [];
    for await (const fr of cam.frames()) {
      seen.push(identify(fr.data, 90, 30));
      expect(fr.seq).toBe(seen.at(-1));
      if (fr.seq === 3) break;
    }
    expect(seen.at(-1)).toBe(3);
    await cam.close();
    expect(f.runs()[0]?.join(' ')).toContain(
      '-f v4l2 -input_format mjpeg -framerate 15 -video_size 90x30 -i /dev/video9 -f rawvideo -pix_fmt gray -',
    );
  });

  it('gives BINARY_MISSING without ffmpeg', async () => {
    const cam = createUsbCamera({ log: captureLog().log, env: { PATH: '' }, device: '/dev/video0' });
    expect(() => cam.start()).toThrow(expect.objectContaining({ code: 'BINARY_MISSING' }));
  });
});
