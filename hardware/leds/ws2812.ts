// WS2812 ("NeoPixel") data as SPI bytes. Pure: pixels in, bytes out.
//
// The LED reads a bit from the length of a high pulse, so each data bit becomes a short SPI pattern sent MSB
// first: with 3 SPI bits per data bit at 2.4 MHz a 1 is `110` and a 0 is `100` (417 ns per SPI bit); with 4 bits at
// 3.2 MHz a 1 is `1110` and a 0 is `1000` (312 ns). Each LED takes 24 data bits in its colour order (GRB for
// WS2812B). Before and after the data the line is held low for at least the reset time (≥ 300 µs by default)
// with zero bytes, computed from the SPI clock: MOSI may idle high between transfers, and newer parts latch only
// after > 280 µs low.

import type { Rgb } from './types.js';

export type ColourOrder = 'GRB' | 'RGB' | 'BRG' | 'BGR' | 'RBG' | 'GBR';

export interface Ws2812Options {
  /** SPI bits per data bit. Default 3. */
  readonly bitsPerBit?: 3 | 4;
  /** SPI clock in Hz. Default 2 400 000 for 3 bits, 3 200 000 for 4 bits. */
  readonly spiHz?: number;
  /** Colour order on the wire. Default 'GRB'. */
  readonly order?: ColourOrder;
  /** Scale applied after gamma, 0..1: caps current and glare. Default 1. */
  readonly brightness?: number;
  /** Gamma exponent applied to each channel (1 = none). Default 1. */
  readonly gamma?: number;
  /** Total current budget in mA for the ring; a frame above it is scaled down. Default: no budget. */
  readonly maxCurrentMa?: number;
  /** Current per channel at full duty, mA. Default 20 (60 mA per LED at full white). */
  readonly channelMa?: number;
  /** Low time before and after the data, µs. Default 300. */
  readonly resetUs?: number;
}

export class LedError extends Error {
  override readonly name = 'LedError';
  constructor(
    readonly code: 'BAD_PIXELS' | 'BAD_OPTIONS' | 'DRIVER_MISSING' | 'DEVICE_UNAVAILABLE' | 'TOO_LONG',
    message: string,
  ) {
    super(message);
  }
}

/** SPI bytes for one data byte, per encoding, built once. */
function buildTable(bitsPerBit: 3 | 4): Uint8Array[] {
  const one = bitsPerBit === 3 ? 0b110 : 0b1110;
  const zero = bitsPerBit === 3 ? 0b100 : 0b1000;
  const table: Uint8Array[] = [];
  for (let v = 0; v < 256; v++) {
    let acc = 0n;
    for (let bit = 7; bit >= 0; bit--) acc = (acc << BigInt(bitsPerBit)) | BigInt((v >> bit) & 1 ? one : zero);
    const out = new Uint8Array(bitsPerBit);
    for (let i = bitsPerBit - 1; i >= 0; i--) {
      out[i] = Number(acc & 0xffn);
      acc >>= 8n;
    }
    table.push(out);
  }
  return table;
}
const TABLES = { 3: buildTable(3), 4: buildTable(4) } as const;

const ORDER_INDEX: Record<ColourOrder, readonly [number, number, number]> = {
  GRB: [1, 0, 2],
  RGB: [0, 1, 2],
  BRG: [2, 0, 1],
  BGR: [2, 1, 0],
  RBG: [0, 2, 1],
  GBR: [1, 2, 0],
};

export interface Ws2812Encoder {
  /** Bytes of low time before and after the data. */
  readonly resetBytes: number;
  readonly spiHz: number;
  /** The channel values sent for these pixels, after gamma, brightness and the current budget (RGB order). */
  levels(pixels: readonly Rgb[]): Uint8Array;
  /** The complete SPI transfer: reset, data, reset. */
  encode(pixels: readonly Rgb[]): Uint8Array;
  /** Estimated ring current in mA for these pixels (channels only, after every cap). */
  currentMa(pixels: readonly Rgb[]): number;
}

export function checkPixels(pixels: readonly Rgb[], count?: number): void {
  if (count !== undefined && pixels.length !== count) {
    throw new LedError('BAD_PIXELS', `expected ${count} pixels, got ${pixels.length}`);
  }
  for (const p of pixels) {
    if (p.length !== 3 || !p.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) {
      throw new LedError('BAD_PIXELS', 'each pixel must be three integers 0..255');
    }
  }
}

export function createWs2812Encoder(o: Ws2812Options = {}): Ws2812Encoder {
  const bitsPerBit = o.bitsPerBit ?? 3;
  if (bitsPerBit !== 3 && bitsPerBit !== 4) throw new LedError('BAD_OPTIONS', 'bitsPerBit must be 3 or 4');
  const spiHz = o.spiHz ?? (bitsPerBit === 3 ? 2_400_000 : 3_200_000);
  const brightness = o.brightness ?? 1;
  const gamma = o.gamma ?? 1;
  const resetUs = o.resetUs ?? 300;
  const channelMa = o.channelMa ?? 20;
  if (!(spiHz >= 1_000_000 && spiHz <= 10_000_000)) throw new LedError('BAD_OPTIONS', `spiHz ${spiHz} out of range`);
  if (!(brightness >= 0 && brightness <= 1)) throw new LedError('BAD_OPTIONS', 'brightness must be 0..1');
  if (!(gamma >= 1 && gamma <= 4)) throw new LedError('BAD_OPTIONS', 'gamma must be 1..4');
  if (!(resetUs >= 50 && resetUs <= 10_000)) throw new LedError('BAD_OPTIONS', 'resetUs must be 50..10000');
  if (o.maxCurrentMa !== undefined && !(o.maxCurrentMa > 0))
    throw new LedError('BAD_OPTIONS', 'maxCurrentMa must be > 0');
  const order = ORDER_INDEX[o.order ?? 'GRB'];
  if (!order) throw new LedError('BAD_OPTIONS', `unknown colour order ${String(o.order)}`);
  const table = TABLES[bitsPerBit];
  const resetBytes = Math.ceil((resetUs * 1e-6 * spiHz) / 8);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.round(255 * Math.pow(v / 255, gamma) * brightness);

  const levels = (pixels: readonly Rgb[]): Uint8Array => {
    checkPixels(pixels);
    const out = new Uint8Array(pixels.length * 3);
    let sum = 0;
    pixels.forEach((p, i) => {
      for (let c = 0; c < 3; c++) {
        const v = lut[p[c] ?? 0] ?? 0;
        out[i * 3 + c] = v;
        sum += v;
      }
    });
    const ma = (sum / 255) * channelMa;
    if (o.maxCurrentMa !== undefined && ma > o.maxCurrentMa) {
      const k = o.maxCurrentMa / ma;
      for (let i = 0; i < out.length; i++) out[i] = Math.floor((out[i] ?? 0) * k);
    }
    return out;
  };

  return {
    resetBytes,
    spiHz,
    levels,
    currentMa: (pixels) => (levels(pixels).reduce((a, b) => a + b, 0) / 255) * channelMa,
    encode(pixels) {
      const lv = levels(pixels);
      const out = new Uint8Array(resetBytes * 2 + pixels.length * 3 * bitsPerBit); // zero-filled reset on both ends
      let off = resetBytes;
      for (let i = 0; i < pixels.length; i++) {
        for (const c of order) {
          out.set(table[lv[i * 3 + c] ?? 0] ?? [], off);
          off += bitsPerBit;
        }
      }
      return out;
    },
  };
}
