import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayCamera, listImages } from '../../../hardware/camera/replay.js';
import { SimCamera } from '../../../hardware/camera/sim/camera.js';
import type { GreyFrame } from '../../../hardware/camera/types.js';

let dir = '';
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  // three flat grey images of different formats and shades, plus a file that is not an image
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 10, g: 10, b: 10 } } })
    .png()
    .toFile(path.join(dir, 'a.png'));
  await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 120, g: 120, b: 120 } } })
    .jpeg({ quality: 100 })
    .toFile(path.join(dir, 'b.jpg'));
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 240, g: 240, b: 240 } } })
    .webp({ lossless: true })
    .toFile(path.join(dir, 'c.webp'));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function collect(it: AsyncIterable<GreyFrame>, max = 100): Promise<GreyFrame[]> {
  const out: GreyFrame[] = [];
  for await (const f of it) {
    out.push(f);
    if (out.length >= max) break;
  }
  return out;
}
const mean = (f: GreyFrame) => f.data.reduce((a, b) => a + b, 0) / f.data.length;

describe('ReplayCamera', () => {
  it('replays a folder once at a size, every frame when paced by the consumer', async () => {
    expect(listImages(dir).map((f) => path.basename(f))).toEqual(['a.png', 'b.jpg', 'c.webp']);
    const cam = new ReplayCamera({ source: dir, size: { width: 40, height: 30 }, fps: 0 });
    const frames = await collect(cam.frames());
    expect(frames.map((f) => [f.width, f.height, f.seq])).toEqual([
      [40, 30, 0],
      [40, 30, 1],
      [40, 30, 2],
    ]);
    expect(frames.map((f) => Math.round(mean(f)))).toEqual([10, 120, 240]);
    expect(cam.stats()).toMatchObject({ delivered: 3, dropped: 0 });
    await cam.close();
  });

  it('loops over GreyFrames at a rate', async () => {
    const still = (v: number) => ({ width: 4, height: 2, data: new Uint8Array(8).fill(v) });
    const cam = new ReplayCamera({ source: [still(1), still(2)], fps: 200, loop: true });
    const frames = await collect(cam.frames(), 5);
    expect(frames.map((f) => f.data[0])).toEqual([1, 2, 1, 2, 1]);
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4]);
    await cam.close();
    expect(await collect(cam.frames())).toEqual([]);
  });

  it('drops frames for a slow consumer at a fixed rate', async () => {
    const stills = Array.from({ length: 20 }, (_, i) => ({ width: 2, height: 1, data: new Uint8Array([i, i]) }));
    const cam = new ReplayCamera({ source: stills, fps: 500 });
    const got: number[] = [];
    for await (const f of cam.frames()) {
      got.push(f.data[0] ?? -1);
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(got.at(-1)).toBe(19);
    expect(got.length).toBeLessThan(20);
    expect(cam.stats().dropped + cam.stats().delivered).toBe(20);
  });

  it('fails with BAD_IMAGE on an unreadable file or an empty folder', async () => {
    const bad = new ReplayCamera({ source: [path.join(dir, 'notes.txt')], fps: 0 });
    await expect(collect(bad.frames())).rejects.toMatchObject({ name: 'CameraError', code: 'BAD_IMAGE' });
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
    await expect(new ReplayCamera({ source: empty }).load()).rejects.toMatchObject({ code: 'BAD_IMAGE' });
    fs.rmSync(empty, { recursive: true });
    await expect(
      new ReplayCamera({ source: [{ width: 3, height: 3, data: new Uint8Array(8) }] }).load(),
    ).rejects.toMatchObject({ code: 'BAD_IMAGE' });
    expect(() => new ReplayCamera({ source: dir, fps: -1 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
  });
});

describe('SimCamera', () => {
  const frame = (v: number) => ({ width: 2, height: 2, data: new Uint8Array(4).fill(v) });

  it('hands pushed frames to the consumer, newest only, and tells the pusher what happened', async () => {
    let t = 1000;
    const cam = new SimCamera({ now: () => t++ });
    const it = cam.frames()[Symbol.asyncIterator]();
    const first = cam.push(frame(1));
    const second = cam.push(frame(2));
    const third = cam.push(frame(3));
    await expect(second).resolves.toBe(false);
    expect(cam.stats().dropped).toBe(2);
    const r = await it.next();
    expect(r.value).toMatchObject({ seq: 2, timestamp: 1002, width: 2 });
    await expect(first).resolves.toBe(false);
    await expect(third).resolves.toBe(true);
    const pending = it.next();
    await expect(cam.push(frame(4))).resolves.toBe(true);
    expect((await pending).value?.data[0]).toBe(4);
    cam.end();
    expect((await it.next()).done).toBe(true);
  });

  it("keeps every frame in mode 'all' and rejects a frame of the wrong size", async () => {
    const cam = new SimCamera({ mode: 'all' });
    void cam.push(frame(1));
    void cam.push(frame(2));
    cam.end();
    expect((await collect(cam.frames())).map((f) => f.data[0])).toEqual([1, 2]);
    expect(() => cam.push({ width: 3, height: 3, data: new Uint8Array(4) })).toThrow(
      expect.objectContaining({ code: 'BAD_IMAGE' }),
    );
  });
});
