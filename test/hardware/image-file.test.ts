import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { greyFromEncoded, ImageLoadError, loadGreyImage, saveGreyPng } from '../../hardware/camera/image-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const GATE = new URL('../fixtures/corpus/gate/images/', import.meta.url);

describe('loadGreyImage', () => {
  it('loads PNG and JPEG frames as 8-bit grey with one byte per pixel', async () => {
    for (const name of ['ph-9433c22049.png', 'ph-047909d62e.jpg']) {
      const f = await loadGreyImage(new URL(name, GATE).pathname);
      expect([f.width, f.height, f.data.length, f.seq]).toEqual([640, 480, 640 * 480, 0]);
      expect(Math.max(...f.data.subarray(0, 5000))).toBeGreaterThan(Math.min(...f.data.subarray(0, 5000)));
    }
  });

  it('converts colour to luma, flattens transparency onto white and reads WebP', async () => {
    const red = path.join(dir, 'red.webp');
    await sharp({ create: { width: 4, height: 2, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .webp({ lossless: true })
      .toFile(red);
    const r = await loadGreyImage(red);
    expect(r.data.length).toBe(8);
    expect(r.data[0]!).toBeGreaterThan(40);
    expect(r.data[0]!).toBeLessThan(140);
    const clear = path.join(dir, 'clear.png');
    await sharp({ create: { width: 3, height: 3, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toFile(clear);
    expect([...(await loadGreyImage(clear)).data]).toEqual(new Array(9).fill(255));
  });

  it('fits into a requested size keeping the aspect, letterboxed with mid grey', async () => {
    const wide = path.join(dir, 'wide.png');
    await sharp({ create: { width: 200, height: 50, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .png()
      .toFile(wide);
    const f = await loadGreyImage(wide, { width: 100, height: 100 });
    expect([f.width, f.height]).toEqual([100, 100]);
    expect(f.data[0]).toBe(128); // top band: padding
    expect(f.data[50 * 100 + 50]).toBe(0); // middle: the image
  });

  it('round-trips a frame through saveGreyPng', async () => {
    const data = Uint8Array.from({ length: 12 * 7 }, (_, i) => (i * 37) % 256);
    const file = path.join(dir, 'rt.png');
    await saveGreyPng({ width: 12, height: 7, data, timestamp: 0, seq: 0 }, file);
    const back = await loadGreyImage(file);
    expect([back.width, back.height]).toEqual([12, 7]);
    expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
  });

  it('reports typed errors: missing file, not an image, bad size', async () => {
    await expect(loadGreyImage(path.join(dir, 'missing.png'))).rejects.toMatchObject({
      name: 'ImageLoadError',
      code: 'UNREADABLE',
    });
    const text = path.join(dir, 'notes.png');
    fs.writeFileSync(text, 'this is not a picture');
    await expect(loadGreyImage(text)).rejects.toMatchObject({ code: 'NOT_AN_IMAGE' });
    await expect(
      greyFromEncoded(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), 'truncated'),
    ).rejects.toBeInstanceOf(ImageLoadError);
    for (const size of [
      { width: 0, height: 10 },
      { width: 10.5, height: 10 },
      { width: 10, height: 100_000 },
    ]) {
      await expect(loadGreyImage(text, size)).rejects.toMatchObject({ code: 'BAD_SIZE' });
    }
  });
});
