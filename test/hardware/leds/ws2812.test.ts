import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWs2812Encoder } from '../../../hardware/leds/ws2812.js';
import type { Rgb } from '../../../hardware/leds/types.js';

const hex = (b: Uint8Array) =>
  Buffer.from(b)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');

/** Independent reference: build the bit string one data bit at a time, then pack it into bytes. */
function reference(pixels: readonly Rgb[], bitsPerBit: 3 | 4, order: string, resetBytes: number): Uint8Array {
  let bits = '';
  for (const [r, g, b] of pixels) {
    const ch: Record<string, number> = { R: r, G: g, B: b };
    for (const name of order) {
      const v = ch[name] ?? 0;
      for (let i = 7; i >= 0; i--) {
        const one = ((v >> i) & 1) === 1;
        bits += bitsPerBit === 3 ? (one ? '110' : '100') : one ? '1110' : '1000';
      }
    }
  }
  const data = (bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2));
  return Uint8Array.from([...new Array<number>(resetBytes).fill(0), ...data, ...new Array<number>(resetBytes).fill(0)]);
}

describe('WS2812 encoder', () => {
  const vectors: { title: string; bitsPerBit: 3 | 4; byte: number; expected: string }[] = [
    { title: '3-bit 0x00', bitsPerBit: 3, byte: 0x00, expected: '92 49 24' },
    { title: '3-bit 0xFF', bitsPerBit: 3, byte: 0xff, expected: 'db 6d b6' },
    { title: '4-bit 0x00', bitsPerBit: 4, byte: 0x00, expected: '88 88 88 88' },
    { title: '4-bit 0xFF', bitsPerBit: 4, byte: 0xff, expected: 'ee ee ee ee' },
    { title: '4-bit 0xA5', bitsPerBit: 4, byte: 0xa5, expected: 'e8 e8 8e 8e' },
  ];
  it.each(vectors)('matches the DESIGN.md vector $title', ({ bitsPerBit, byte, expected }) => {
    const enc = createWs2812Encoder({ bitsPerBit });
    const out = enc.encode([[byte, byte, byte]]);
    const data = out.subarray(enc.resetBytes, out.length - enc.resetBytes);
    expect(hex(data)).toBe([expected, expected, expected].join(' '));
  });

  it('sends GRB by default and honours another order', () => {
    const enc = createWs2812Encoder();
    const data = (e: typeof enc, p: Rgb) => hex(e.encode([p]).subarray(e.resetBytes, e.resetBytes + 9));
    // red 0xFF in the second slot (G first), green 0x00 first
    expect(data(enc, [0xff, 0x00, 0x00])).toBe('92 49 24 db 6d b6 92 49 24');
    expect(data(createWs2812Encoder({ order: 'RGB' }), [0xff, 0x00, 0x00])).toBe('db 6d b6 92 49 24 92 49 24');
  });

  it('pads at least 300 µs of zeros before and after, computed from the SPI clock', () => {
    for (const [opts, bytes] of [
      [{ bitsPerBit: 3 as const }, 90], // 300 µs × 2.4 MHz / 8
      [{ bitsPerBit: 4 as const }, 120], // 300 µs × 3.2 MHz / 8
      [{ bitsPerBit: 3 as const, spiHz: 2_500_000 }, 94], // 93.75 rounds up
    ] as const) {
      const enc = createWs2812Encoder(opts);
      expect(enc.resetBytes).toBe(bytes);
      expect((enc.resetBytes * 8) / enc.spiHz).toBeGreaterThanOrEqual(300e-6);
      const out = enc.encode([[1, 2, 3]]);
      expect(out.subarray(0, bytes).every((b) => b === 0)).toBe(true);
      expect(out.subarray(out.length - bytes).every((b) => b === 0)).toBe(true);
      expect(out[bytes]).not.toBe(0);
    }
  });

  it('equals a bit-by-bit reference for any pixels, order and encoding', () => {
    const pixel = fc.tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(
        fc.array(pixel, { minLength: 1, maxLength: 24 }),
        fc.constantFrom(3 as const, 4 as const),
        fc.constantFrom('GRB' as const, 'RGB' as const, 'BGR' as const, 'BRG' as const),
        (pixels, bitsPerBit, order) => {
          const enc = createWs2812Encoder({ bitsPerBit, order });
          expect(hex(enc.encode(pixels))).toBe(hex(reference(pixels, bitsPerBit, order, enc.resetBytes)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('applies gamma, then the brightness cap, then the current budget', () => {
    expect(Array.from(createWs2812Encoder({ brightness: 0.5 }).levels([[255, 128, 0]]))).toEqual([128, 64, 0]);
    expect(Array.from(createWs2812Encoder({ gamma: 2 }).levels([[255, 128, 16]]))).toEqual([255, 64, 1]);
    expect(Array.from(createWs2812Encoder({ gamma: 2, brightness: 0.5 }).levels([[255, 128, 0]]))).toEqual([
      128, 32, 0,
    ]);
    // 12 LEDs full white = 720 mA; a 300 mA budget scales every channel down to fit
    const ring = Array.from({ length: 12 }, () => [255, 255, 255] as const);
    const budget = createWs2812Encoder({ maxCurrentMa: 300 });
    expect(createWs2812Encoder().currentMa(ring)).toBeCloseTo(720, 5);
    expect(budget.currentMa(ring)).toBeLessThanOrEqual(300);
    expect(budget.currentMa(ring)).toBeGreaterThan(290);
    // the encoded bytes carry the capped level: 255 × 0.5 brightness → 128 = 0x80 → 110 100 100 … = d2 49 24
    const half = createWs2812Encoder({ brightness: 0.5 });
    expect(hex(half.encode([[0, 255, 0]]).subarray(90, 93))).toBe('d2 49 24');
  });

  it('rejects bad pixels and options with typed errors', () => {
    const enc = createWs2812Encoder();
    expect(() => enc.encode([[256, 0, 0]])).toThrow(expect.objectContaining({ code: 'BAD_PIXELS' }));
    expect(() => enc.encode([[1.5, 0, 0]])).toThrow(expect.objectContaining({ code: 'BAD_PIXELS' }));
    expect(() => createWs2812Encoder({ brightness: 2 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => createWs2812Encoder({ spiHz: 100 })).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
  });
});
