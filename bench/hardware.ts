// bench:hardware — per-frame cost of the hardware layer's hot paths, against a baseline measured in the same run.
//
// 1. Frame splitting: a stream of raw frames as rpicam-vid writes it (yuv420, 640×480, and 1000×500 with 64-byte
//    row padding) in 64 KiB pipe-sized chunks. Ours (FrameSplitter: copies only the visible luma bytes, row by
//    row) against the obvious baseline (accumulate chunks with Buffer.concat, slice whole frames, then copy luma
//    rows out). 2. WS2812 encoding of a 24-LED frame with gamma, brightness and current budget (informational:
//    it has no baseline, the figure shows it is negligible against a 15 fps frame period).
// Each figure is the median of several rounds. Ends with one JSON line.
import { FrameSplitter } from '../hardware/camera/frame-splitter.js';
import { yuv420Layout } from '../hardware/camera/yuv-layout.js';
import type { FrameLayout } from '../hardware/camera/yuv-layout.js';
import { createWs2812Encoder } from '../hardware/leds/ws2812.js';

const FRAMES = 120;
const ROUNDS = 7;
const CHUNK = 65_536;

function makeChunks(layout: FrameLayout): Buffer[] {
  const stream = Buffer.alloc(layout.frameBytes * FRAMES);
  for (let i = 0; i < stream.length; i += 997) stream[i] = i & 0xff;
  const chunks: Buffer[] = [];
  for (let off = 0; off < stream.length; off += CHUNK) chunks.push(Buffer.from(stream.subarray(off, off + CHUNK)));
  return chunks;
}

function ours(layout: FrameLayout, chunks: Buffer[]): number {
  const s = new FrameSplitter(layout);
  let n = 0;
  for (const c of chunks) n += s.push(c).length;
  return n;
}

function baseline(layout: FrameLayout, chunks: Buffer[]): number {
  const { width, height, stride, frameBytes } = layout;
  let pending = Buffer.alloc(0);
  let n = 0;
  for (const c of chunks) {
    pending = Buffer.concat([pending, c]);
    while (pending.length >= frameBytes) {
      const frame = pending.subarray(0, frameBytes);
      const luma = new Uint8Array(width * height);
      for (let r = 0; r < height; r++) luma.set(frame.subarray(r * stride, r * stride + width), r * width);
      n++;
      pending = pending.subarray(frameBytes);
    }
  }
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function timePerFrame(fn: () => number): number {
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    const n = fn();
    const dt = performance.now() - t;
    if (n !== FRAMES) throw new Error(`expected ${FRAMES} frames, got ${n}`);
    times.push(dt / n);
  }
  return median(times);
}

const figures: Record<string, number> = {};
for (const [name, layout] of [
  ['640x480', yuv420Layout(640, 480, { align: 64 })],
  ['1000x500_stride1024', yuv420Layout(1000, 500, { align: 64 })],
] as const) {
  const chunks = makeChunks(layout);
  const b = timePerFrame(() => baseline(layout, chunks));
  const o = timePerFrame(() => ours(layout, chunks));
  console.log(
    `split ${name}: ours ${o.toFixed(3)} ms/frame, baseline (concat+slice) ${b.toFixed(3)} ms/frame, ratio ${(o / b).toFixed(2)}`,
  );
  figures[`split_${name}_ms`] = Number(o.toFixed(4));
  figures[`split_${name}_baseline_ms`] = Number(b.toFixed(4));
  figures[`split_${name}_ratio`] = Number((o / b).toFixed(3));
}

const enc = createWs2812Encoder({ brightness: 0.3, gamma: 2.2, maxCurrentMa: 500 });
const pixels = Array.from({ length: 24 }, (_, i) => [(i * 37) & 0xff, (i * 91) & 0xff, (i * 13) & 0xff] as const);
const encTimes: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const t = performance.now();
  for (let i = 0; i < 2000; i++) enc.encode(pixels);
  encTimes.push((performance.now() - t) / 2000);
}
const encMs = median(encTimes);
console.log(`ws2812 encode, 24 LEDs: ${(encMs * 1000).toFixed(1)} µs/frame`);
figures.ws2812_encode_24_us = Number((encMs * 1000).toFixed(2));
console.log(JSON.stringify({ bench: 'hardware', frames: FRAMES, rounds: ROUNDS, chunkBytes: CHUNK, ...figures }));
