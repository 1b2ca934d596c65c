import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecoder, type FrameDecoder } from '../../device/decode/index.js';
import { loadGreyImage } from '../../hardware/camera/image-file.js';
import { renderPhoneScene, savePhoneScene, SceneError, type SceneOptions } from '../../hardware/camera/sim/scene.js';
import type { GreyFrame } from '../../hardware/camera/types.js';

// A pass-sized payload: GC1 passes are 150–380 characters of base45.
const TEXT =
  'GC1:' +
  'NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOOK.IR9B+9G4G50PHZF0AT4V22F/8X*G3M9JUPY0BX/KR96R/S09T./0LWTKD33236J3TA3M*4VV2 73-E3GG396B-43O058YIB73A*G3W19UEBY5:PI0EGSP4*2DN43U*0CEBQ/GXQFY73CIBC:G 7376BXBJBAJ UNFMJCRN0H3PQN*E33H3OA70M3FMJIJN523.K5QZ4A+2XEN QT QTHC31M3+E32R44$28A9H0D3ZCL4JMYAZ+S-A5$XKX6T2YC 35H/ITX8GL2-LH/CJTK96L6SR9MU9DHGZ%P WUQRENS431T1XCNCF+47AY0-IFO0500TGPN8F5G.41Q2E4T8ALW.INSV$ 07UV5SR+BNQHNML7 /KD3TU 4V*CAT3ZGLQMI/XI%ZJNSBBXK2:UG%UJMI:TU+MMPZ5$/PMX19UE:-PSR3/$NU44CBE6DQ3D7B0FBOFX0DV2DGMB$YPF62I$60/F$Z2I6IFX21XNI-LM%3/DF/U6Z9FEOJVRLVW6K$UG+BKK57:1+D10%4K83F+1VWD1NE'.slice(
    0,
    296,
  );

/** Mean absolute difference between horizontally neighbouring pixels: high-frequency energy. */
function sharpness(f: GreyFrame): number {
  let s = 0;
  for (let y = 0; y < f.height; y++)
    for (let x = 1; x < f.width; x++) s += Math.abs(f.data[y * f.width + x]! - f.data[y * f.width + x - 1]!);
  return s / (f.height * (f.width - 1));
}

/** Grey levels in the middle of the code's bounding box, row by row. */
function codeLevels(f: GreyFrame, corners: readonly (readonly [number, number])[], sorted = true): number[] {
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const out: number[] = [];
  for (let y = Math.round(y0 + (y1 - y0) * 0.3); y < y0 + (y1 - y0) * 0.7; y++) {
    for (let x = Math.round(x0 + (x1 - x0) * 0.3); x < x0 + (x1 - x0) * 0.7; x++) out.push(f.data[y * f.width + x]!);
  }
  return sorted ? out.sort((a, b) => a - b) : out;
}

function correlation(a: number[], b: number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
const pct = (sorted: number[], p: number): number => sorted[Math.floor((sorted.length - 1) * p)]!;
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

let decoder: FrameDecoder;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
beforeAll(async () => {
  decoder = await createDecoder({ engine: 'zxing', worker: false, budgetMs: 60_000 });
});
afterAll(async () => {
  await decoder.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const render = (opts: SceneOptions): Promise<GreyFrame> => renderPhoneScene(TEXT, { seed: 5, ...opts });

describe('renderPhoneScene', () => {
  it('renders a 640×480 grey frame, the same bytes for the same seed and different ones for another seed', async () => {
    const a = await render({});
    const b = await render({});
    const c = await render({ seed: 6 });
    expect([a.width, a.height, a.data.length]).toEqual([640, 480, 640 * 480]);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(c.data))).toBe(false);
  });

  it('default-strength scenes decode with the plain pass of the default decoder, for many seeds', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const hit = await decoder.decode(await renderPhoneScene(TEXT, { seed }));
      expect(hit, `seed ${seed}`).toMatchObject({ text: TEXT, strategy: 'plain' });
    }
  });

  it('degraded scenes (each effect at a strong setting) still decode with the default ladder', async () => {
    const cases: SceneOptions[] = [
      { blur: 1.2 },
      { perspective: 0.6 },
      { noise: 10 },
      { glare: 0.6 },
      { contrast: 0.35 },
      { inverted: true },
      { jpegQuality: 35 },
      { codeSize: 0.32 },
      { perspective: 0.3, blur: 0.8, noise: 5, glare: 0.3 },
    ];
    for (const opts of cases) {
      expect(await decoder.decode(await render(opts)), JSON.stringify(opts)).toMatchObject({ text: TEXT });
    }
  });

  it('each option changes the pixels the way it says', async () => {
    const base = await render({ noise: 0, blur: 0 });
    const hit = await decoder.decode(base);
    const corners = hit!.corners!;
    const baseLevels = codeLevels(base, corners);
    const spread = (l: number[]): number => pct(l, 0.9) - pct(l, 0.1);

    expect(sharpness(await render({ noise: 0, blur: 1.5 }))).toBeLessThan(sharpness(base) * 0.7);
    expect(sharpness(await render({ noise: 12, blur: 0 }))).toBeGreaterThan(sharpness(base) * 1.3);
    expect(spread(codeLevels(await render({ noise: 0, blur: 0, contrast: 0.3 }), corners))).toBeLessThan(
      spread(baseLevels) * 0.5,
    );
    // Dark mode: the same modules with light and dark swapped.
    const dark = await render({ noise: 0, blur: 0, inverted: true });
    expect(correlation(codeLevels(dark, corners, false), codeLevels(base, corners, false))).toBeLessThan(-0.9);
    expect(await decoder.decode(dark)).toMatchObject({ text: TEXT });
    expect(mean(codeLevels(await render({ noise: 0, blur: 0, glare: 0.8 }), corners))).toBeGreaterThan(
      mean(baseLevels) + 10,
    );
    const jpeg = await render({ noise: 0, blur: 0, jpegQuality: 20 });
    expect(Buffer.from(jpeg.data).equals(Buffer.from(base.data))).toBe(false);

    // Size and perspective, seen through the decoder's corners.
    const side = (c: readonly (readonly [number, number])[], i: number, j: number): number =>
      Math.hypot(c[i]![0] - c[j]![0], c[i]![1] - c[j]![1]);
    const small = (await decoder.decode(await render({ codeSize: 0.3 })))!.corners!;
    const large = (await decoder.decode(await render({ codeSize: 0.7 })))!.corners!;
    expect(side(large, 0, 1) / side(small, 0, 1)).toBeCloseTo(0.7 / 0.3, 0);
    const flat = (await decoder.decode(await render({ perspective: 0, roll: 0 })))!.corners!;
    const tilted = (await decoder.decode(await render({ perspective: 0.8, roll: 0 })))!.corners!;
    const skew = (c: readonly (readonly [number, number])[]): number =>
      Math.max(
        side(c, 0, 1) / side(c, 3, 2),
        side(c, 3, 2) / side(c, 0, 1),
        side(c, 0, 3) / side(c, 1, 2),
        side(c, 1, 2) / side(c, 0, 3),
      );
    expect(skew(flat)).toBeLessThan(1.03);
    expect(skew(tilted)).toBeGreaterThan(1.08);
    // Roll turns the top edge of the code.
    const angle = (c: readonly (readonly [number, number])[]): number =>
      (Math.atan2(c[1]![1] - c[0]![1], c[1]![0] - c[0]![0]) * 180) / Math.PI;
    expect(angle((await decoder.decode(await render({ perspective: 0, roll: 20 })))!.corners!)).toBeCloseTo(20, -0.5);
  });

  it('saves a scene as a PNG that loads back to the same frame', async () => {
    const file = path.join(dir, 'scene.png');
    const frame = await savePhoneScene(TEXT, { seed: 3 }, file);
    const back = await loadGreyImage(file);
    expect(Buffer.from(back.data).equals(Buffer.from(frame.data))).toBe(true);
  });

  it('rejects options out of range with a typed error', async () => {
    for (const opts of [
      { codeSize: 2 },
      { perspective: -1 },
      { contrast: 0 },
      { noise: Number.NaN },
      { jpegQuality: 0 },
      { center: [2, 0.5] as const },
    ]) {
      await expect(render(opts)).rejects.toBeInstanceOf(SceneError);
    }
  });
});
