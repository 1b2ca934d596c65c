// Cuts a byte stream of fixed-size raw frames into luma planes, whatever the chunk boundaries.
//
// Pure: no I/O, no clock. Each call to push() returns the luma planes of the frames that the chunk completed.
// A frame that lies wholly inside one chunk and has no row padding is handed on as a view of the chunk (no copy);
// otherwise only the visible luma bytes are copied, row by row, into a fresh buffer (padding and chroma skipped).

import type { FrameLayout } from './yuv-layout.js';

export class FrameSplitter {
  /** Bytes of the current frame seen so far (0 ≤ pos < frameBytes). */
  private pos = 0;
  private luma: Uint8Array | null = null;
  private readonly lumaSpan: number;

  constructor(readonly layout: FrameLayout) {
    this.lumaSpan = layout.stride * (layout.height - 1) + layout.width;
  }

  /** Bytes of an incomplete frame held now (a partial frame at exit is this many bytes). */
  get pending(): number {
    return this.pos;
  }

  /** Forget a partial frame, e.g. when the process restarts. */
  reset(): void {
    this.pos = 0;
    this.luma = null;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const { width, height, stride, frameBytes } = this.layout;
    const out: Uint8Array[] = [];
    let off = 0;
    while (off < chunk.length) {
      const avail = chunk.length - off;
      if (this.pos === 0 && stride === width && avail >= frameBytes) {
        out.push(chunk.subarray(off, off + width * height));
        off += frameBytes;
        continue;
      }
      const take = Math.min(avail, frameBytes - this.pos);
      if (this.pos < this.lumaSpan) this.copyLuma(chunk, off, take);
      this.pos += take;
      off += take;
      if (this.pos === frameBytes) {
        out.push(this.luma ?? new Uint8Array(width * height));
        this.luma = null;
        this.pos = 0;
      }
    }
    return out;
  }

  /** Copy the visible luma bytes among stream bytes [pos, pos+n) taken from chunk[off..]. */
  private copyLuma(chunk: Uint8Array, off: number, n: number): void {
    const { width, height, stride } = this.layout;
    const luma = (this.luma ??= new Uint8Array(width * height));
    const start = this.pos;
    const end = Math.min(start + n, this.lumaSpan);
    let row = Math.floor(start / stride);
    for (; row < height; row++) {
      const rowStart = row * stride;
      if (rowStart >= end) break;
      const a = Math.max(start, rowStart);
      const b = Math.min(end, rowStart + width);
      if (b > a) luma.set(chunk.subarray(off + (a - start), off + (b - start)), row * width + (a - rowStart));
    }
  }
}
