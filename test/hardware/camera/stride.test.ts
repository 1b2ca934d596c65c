// A Pi 5 pads 700-pixel rows to 768 bytes while 704 (64-byte alignment) was assumed: the frames must not be cut
// silently in the wrong places. Against the fake rpicam-vid writing one burst per frame, as rpicam-vid --flush does.
import { afterEach, describe, expect, it } from 'vitest';
import { BurstCheck, strideForFrame } from '../../../hardware/camera/process-camera.js';
import { createRpicamCamera, rpicamStride } from '../../../hardware/camera/rpicam.js';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { yuv420Layout } from '../../../hardware/camera/yuv-layout.js';
import { captureLog } from '../../support/log.js';
import { identify, installFakeCamera } from './fake-camera.js';
import type { FakeCamera } from './fake-camera.js';

const W = 700;
const H = 480;
const actual = yuv420Layout(W, H, { align: 128 }); // stride 768: what a Pi 5 sends
const fakes: FakeCamera[] = [];
afterEach(() => {
  for (const f of fakes.splice(0)) f.cleanup();
});

async function drain(frames: AsyncIterable<GreyFrame>, max: number): Promise<{ frames: GreyFrame[]; error: unknown }> {
  const out: GreyFrame[] = [];
  try {
    for await (const f of frames) {
      out.push(f);
      if (out.length >= max) break;
    }
  } catch (error) {
    return { frames: out, error };
  }
  return { frames: out, error: null };
}

describe('camera stride', { timeout: 30_000 }, () => {
  it('detects a stream whose stride is not the assumed one (768 vs 704) with a typed error naming the fix', async () => {
    expect(actual.stride).toBe(768);
    const f = installFakeCamera('rpicam-vid', {
      align: 128,
      runs: [{ frames: 12, chunks: [actual.frameBytes], paceMs: 60, holdMs: 5000 }],
    });
    fakes.push(f);
    const { log } = captureLog();
    const cam = createRpicamCamera({ log, env: f.env, width: W, height: H, strideAlign: 64 });
    const r = await drain(cam.frames(), 50);
    await cam.close();
    expect(r.error).toMatchObject({ code: 'STRIDE_MISMATCH' });
    expect((r.error as Error).message).toMatch(/camera\.stride: 768/);
    // the frames cut from the first three bursts (3 × 552 960 bytes ≈ 3.3 wrong frames) go out before the
    // verdict; after it, none
    expect(r.frames.length).toBeLessThanOrEqual(4);
  });

  it('accepts the stream when camera.stride says 768, and cuts frames right', async () => {
    const f = installFakeCamera('rpicam-vid', {
      align: 128,
      runs: [{ frames: 6, chunks: [actual.frameBytes], paceMs: 40, holdMs: 5000 }],
    });
    fakes.push(f);
    const cam = createRpicamCamera({ log: captureLog().log, env: f.env, width: W, height: H, stride: 768 });
    const r = await drain(cam.frames(), 6);
    await cam.close();
    expect(r.error).toBeNull();
    expect(r.frames.map((fr) => identify(fr.data, W, H))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('adopts the stride rpicam-vid reports on stderr before the first frame', async () => {
    const f = installFakeCamera('rpicam-vid', {
      align: 128,
      runs: [
        {
          frames: 4,
          chunks: [actual.frameBytes],
          paceMs: 40,
          holdMs: 5000,
          stderr: ['Stream configuration: 700x480-YUV420 stride 768'],
        },
      ],
    });
    fakes.push(f);
    const { log, records } = captureLog();
    const cam = createRpicamCamera({ log, env: f.env, width: W, height: H, strideAlign: 64 });
    const r = await drain(cam.frames(), 4);
    await cam.close();
    expect(r.error).toBeNull();
    expect(r.frames.map((fr) => identify(fr.data, W, H))).toEqual([0, 1, 2, 3]);
    expect(records().some((l) => l['stride'] === 768)).toBe(true);
  });

  it('a configured stride that the camera contradicts is an error, not adopted', async () => {
    const f = installFakeCamera('rpicam-vid', {
      align: 128,
      runs: [{ frames: 4, chunks: [actual.frameBytes], paceMs: 40, holdMs: 5000, stderr: ['stride: 768'] }],
    });
    fakes.push(f);
    const cam = createRpicamCamera({ log: captureLog().log, env: f.env, width: W, height: H, stride: 704 });
    const r = await drain(cam.frames(), 4);
    await cam.close();
    expect(r.error).toMatchObject({ code: 'STRIDE_MISMATCH' });
  });

  it('parses stride reports defensively and infers strides from frame sizes', () => {
    expect(rpicamStride('#0 700x480-YUV420 (stride 768)')).toBe(768);
    expect(rpicamStride('stride=1280')).toBe(1280);
    expect(rpicamStride('stride: 77')).toBeNull(); // odd
    expect(rpicamStride('Mode selection for 700:480')).toBeNull();
    expect(rpicamStride('stride 99999999')).toBeNull();
    expect(strideForFrame(actual.frameBytes, H)).toBe(768);
    expect(strideForFrame(actual.frameBytes + 1, H)).toBeNull();
  });

  it('BurstCheck: equal bursts of whole frames pass; fixed-size paced chunks that are no frame never trip it', () => {
    const assumed = yuv420Layout(W, H, { align: 64 });
    const ok = new BurstCheck(assumed);
    const mismatch = new BurstCheck(assumed);
    const chunks = new BurstCheck(assumed);
    let t = 0;
    const verdicts: (number | null)[][] = [[], [], []];
    for (let i = 0; i < 10; i++) {
      t += 100;
      verdicts[0]?.push(ok.push(assumed.frameBytes, t));
      verdicts[1]?.push(mismatch.push(actual.frameBytes, t));
      verdicts[2]?.push(chunks.push(4093, t));
    }
    expect(verdicts[0]?.every((v) => v === null)).toBe(true);
    expect(verdicts[1]?.filter((v) => v !== null)).toEqual([actual.frameBytes]);
    expect(verdicts[2]?.every((v) => v === null)).toBe(true);
  });
});
