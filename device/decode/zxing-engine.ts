// zxing-wasm (zxing-cpp compiled to WebAssembly), loaded from the .wasm file that ships in the package: the
// library would otherwise fetch it from a CDN, and a gate has no network to spare. The luma plane goes in as a
// binary PGM image, which zxing-wasm decodes natively, so no RGBA copy is ever made.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { prepareZXingModule, readBarcodes, type ReaderOptions, type ReadResult } from 'zxing-wasm/reader';
import type { GreyImage } from './image-ops.js';
import { DecodeError, type Corner } from './types.js';

export interface EngineHit {
  readonly text: string;
  readonly corners: readonly Corner[] | null;
}

export type ZxingPassOptions = Pick<ReaderOptions, 'tryDenoise' | 'tryDownscale' | 'tryRotate'>;

/** Options for every read: QR only, one symbol, the text exactly as encoded. */
const BASE_OPTIONS: ReaderOptions = {
  formats: ['QRCode'],
  textMode: 'Plain',
  maxNumberOfSymbols: 1,
  tryHarder: true,
  tryInvert: true,
};

let loading: Promise<void> | null = null;

/** Path of the reader .wasm inside the installed zxing-wasm package. */
export function zxingWasmPath(): string {
  return createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
}

/** Instantiate the zxing module once per thread from the local .wasm file; never touches the network. */
export function loadZxing(): Promise<void> {
  loading ??= (async () => {
    try {
      const bytes = await readFile(zxingWasmPath());
      const wasmBinary = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      await prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true });
    } catch (err) {
      loading = null;
      throw new DecodeError('ENGINE_INIT', `zxing-wasm failed to load: ${(err as Error).message}`);
    }
  })();
  return loading;
}

/**
 * The PGM buffer of this thread, reused from read to read (it only grows, up to the largest image a pass makes):
 * a fresh buffer per read costs an allocation of the frame's size, its page faults and more frequent collections.
 * zxing-wasm copies the bytes into its own memory during the read; `pgmBusy` keeps two reads that overlap on one
 * thread (two decoders awaited together) from sharing it: the second gets a buffer of its own.
 */
let pgmScratch = new Uint8Array(0);
let pgmBusy = false;

function pgm(img: GreyImage, reuse: boolean): Uint8Array {
  const header = new TextEncoder().encode(`P5\n${img.width} ${img.height}\n255\n`);
  const size = header.length + img.data.length;
  if (reuse && pgmScratch.length < size) pgmScratch = new Uint8Array(size);
  const out = reuse ? pgmScratch.subarray(0, size) : new Uint8Array(size);
  out.set(header);
  out.set(img.data, header.length);
  return out;
}

function cornersOf(p: ReadResult['position']): readonly Corner[] {
  return [
    [p.topLeft.x, p.topLeft.y],
    [p.topRight.x, p.topRight.y],
    [p.bottomRight.x, p.bottomRight.y],
    [p.bottomLeft.x, p.bottomLeft.y],
  ];
}

/** Read one QR code from a grey image (call loadZxing first). */
export async function zxingRead(img: GreyImage, pass: ZxingPassOptions): Promise<EngineHit | null> {
  const reuse = !pgmBusy;
  if (reuse) pgmBusy = true;
  let results;
  try {
    results = await readBarcodes(pgm(img, reuse), { ...BASE_OPTIONS, ...pass });
  } finally {
    if (reuse) pgmBusy = false;
  }
  const hit = results.find((r) => r.isValid);
  return hit ? { text: hit.text, corners: cornersOf(hit.position) } : null;
}
