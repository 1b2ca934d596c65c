// jsQR, the pure-JavaScript fallback. It reads RGBA only, so the luma plane is spread into a reused RGBA buffer.
// `inversionAttempts` is always passed: jsQR keeps the last value it was given as the default for later calls.
import jsQRModule from 'jsqr';
import type { GreyImage } from './image-ops.js';
import type { EngineHit } from './zxing-engine.js';

interface JsQRCode {
  data: string;
  binaryData: number[];
  location: Record<
    'topLeftCorner' | 'topRightCorner' | 'bottomRightCorner' | 'bottomLeftCorner',
    { x: number; y: number }
  >;
}

type JsQR = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  options: { inversionAttempts: 'attemptBoth' },
) => JsQRCode | null;

// The package is CommonJS: the function is module.exports, which some loaders wrap once more in `default`.
const jsQR: JsQR = ((jsQRModule as unknown as { default?: JsQR }).default ?? jsQRModule) as unknown as JsQR;

/**
 * The text of the symbol's bytes. jsQR's own `data` is empty when byte segments are not UTF-8 (Shift_JIS is common
 * in QR codes), so the bytes are decoded here the way zxing guesses: UTF-8, else Shift_JIS, else ISO-8859-1.
 */
function textOf(code: JsQRCode): string {
  const bytes = Uint8Array.from(code.binaryData);
  for (const encoding of ['utf-8', 'shift_jis']) {
    try {
      return new TextDecoder(encoding, { fatal: true }).decode(bytes);
    } catch {
      // not this encoding
    }
  }
  return new TextDecoder('latin1').decode(bytes);
}

let rgba = new Uint8ClampedArray(0);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function jsqrRead(img: GreyImage): EngineHit | null {
  const n = img.width * img.height;
  if (rgba.length !== n * 4) rgba = new Uint8ClampedArray(n * 4);
  const src = img.data;
  if (LITTLE_ENDIAN) {
    // One 32-bit store per pixel: alpha in the top byte, grey in the other three.
    const out = new Uint32Array(rgba.buffer);
    for (let i = 0; i < n; i++) out[i] = (0xff000000 | (src[i]! * 0x010101)) >>> 0;
  } else {
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      const v = src[i]!;
      rgba[j] = v;
      rgba[j + 1] = v;
      rgba[j + 2] = v;
      rgba[j + 3] = 255;
    }
  }
  const code = jsQR(rgba, img.width, img.height, { inversionAttempts: 'attemptBoth' });
  if (!code) return null;
  const l = code.location;
  return {
    text: textOf(code),
    corners: [
      [l.topLeftCorner.x, l.topLeftCorner.y],
      [l.topRightCorner.x, l.topRightCorner.y],
      [l.bottomRightCorner.x, l.bottomRightCorner.y],
      [l.bottomLeftCorner.x, l.bottomLeftCorner.y],
    ],
  };
}
