// The decoder-pool part of bench:pipeline: the same camera streams through a DecoderPool of N worker threads, fed
// as the device's pipeline feeds it (device/pipeline.ts run: up to the pool's frameSlots frames handed over at once,
// each verified in frame order once its first pass has answered; reads that an escalation reports late count for
// their frame, and every read is verified on this thread), and a bounded
// busy load for the latency run.
import { spawn, type ChildProcess } from 'node:child_process';
import type { GreyFrame } from '../hardware/camera/types.js';
import { DecoderPool, type DecodeHit, type DecoderConfig } from '../device/decode/index.js';
import { decideText, type DecideInputs } from '../device/decide.js';

export interface PoolFigures {
  label: string;
  workers: number;
  frames: number;
  fps: number;
  /** Codes read at least once (by a first pass, or late by an escalation) ÷ codes shown. */
  codeRate: number;
  wrong: number;
  /** Reads reported late by escalations, and escalations dropped as stale, per frame. */
  latePerFrame: number;
  droppedPerFrame: number;
}

const r2 = (n: number): number => Math.round(n * 100) / 100;

export async function runPool(
  label: string,
  config: DecoderConfig,
  workers: number,
  frames: GreyFrame[],
  expected: string[],
  inputs: DecideInputs,
  passes: string[],
  hold: number,
  seconds: number,
  now: number,
): Promise<PoolFigures> {
  const pool = await DecoderPool.start(config, workers);
  let wrong = 0;
  let n = 0;
  const read = new Set<number>();
  const verify = (i: number, hit: DecodeHit, k: number): void => {
    if (hit.text !== expected[i]) wrong++;
    else read.add(i);
    decideText(passes[k % passes.length] as string, now, inputs);
  };
  try {
    // Warm-up (every worker's engine and JIT) on a pool of its own, so the measured stream starts fresh.
    const warm = await DecoderPool.start(config, workers);
    for (const f of frames.slice(0, 10)) await warm.decode(f);
    await warm.close();
    const shown = frames.length * hold;
    // As the Pipeline runs: up to pool.frameSlots frames handed over at once (the next waits inside the pool and
    // starts on worker 0 as the previous first pass ends), each verified in order once its first pass answered.
    const inFlight: { i: number; k: number; hit: Promise<DecodeHit | null> }[] = [];
    const submit = (): void => {
      const i = Math.floor((n % shown) / hold);
      const k = n;
      inFlight.push({ i, k, hit: pool.decode(frames[i] as GreyFrame, (late) => verify(i, late, k)) });
      n++;
    };
    const start = performance.now();
    const deadline = start + seconds * 1000;
    for (;;) {
      if (n % shown !== 0 || n === 0 || performance.now() < deadline) {
        submit();
        if (inFlight.length < pool.frameSlots) continue;
      }
      const oldest = inFlight.shift();
      if (!oldest) break;
      const h = await oldest.hit;
      if (h) verify(oldest.i, h, oldest.k);
    }
    const elapsed = performance.now() - start;
    // Reads of the last frames' escalations still count (as a pipeline would decide them); wait for them.
    const settled = (): boolean => pool.stats().escalating === 0 && pool.stats().waiting === 0;
    for (let t = 0; t < 500 && !settled(); t++) await new Promise((r) => setTimeout(r, 10));
    const s = pool.stats();
    return {
      label,
      workers,
      frames: n,
      fps: r2((n * 1000) / elapsed),
      codeRate: r2(read.size / frames.length),
      wrong,
      latePerFrame: r2(s.late / n),
      droppedPerFrame: r2(s.dropped / n),
    };
  } finally {
    await pool.close();
  }
}

/**
 * A bounded busy load: `n` child processes that each spin one core for at most `maxMs` (they end by themselves
 * even if this process dies). stop() ends them at once.
 */
export function busyLoad(n: number, maxMs: number): { stop(): void } {
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    children.push(
      spawn(process.execPath, ['-e', `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`], {
        stdio: 'ignore',
      }),
    );
  }
  return {
    stop: () => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    },
  };
}
