// The decoder-pool part of bench:pipeline: the same camera streams through a DecoderPool of N worker threads, fed
// as the device's pipeline feeds it (device/pipeline.ts run: up to the pool's frameSlots frames handed over at once,
// each verified in frame order once its first pass has answered; reads that an escalation reports late count for
// their frame, and every read is verified on this thread), and a bounded
// busy load for the latency runs: at the same priority, and at the gate's priority (device/install/priority.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
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

/** Where a process (or thread) is scheduled: its nice value, its autogroup and its cpu cgroup (Linux /proc). */
export interface SchedPlace {
  nice: number;
  /** e.g. `/autogroup-369`; null when the kernel has no autogroups or they are off. */
  autogroup: string | null;
  /** The cgroup path of the cpu controller (v1) or of the unified hierarchy (v2); null off Linux. */
  cpuCgroup: string | null;
}

export interface BusyLoad {
  /** This process's main thread, and each busy child as it reported itself once spinning. */
  self: SchedPlace;
  children: SchedPlace[];
  /** The nice steps asked for below this process (0: the same priority). */
  offset: number;
  /**
   * Whether the children compete with this process by nice weight alone: same autogroup (or none), same cpu
   * cgroup, each at this process's nice + offset. Null: faithful; else what breaks the model.
   */
  unfaithful: string | null;
  stop(): void;
}

function readProc(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The autogroup and cpu cgroup lines of /proc/<pid>/{autogroup,cgroup}, as this module compares them. */
export function schedPlaceOf(nice: number, autogroup: string | null, cgroup: string | null): SchedPlace {
  const enabled = readProc('/proc/sys/kernel/sched_autogroup_enabled');
  const group = enabled === '0' ? null : (autogroup?.split(' ')[0] ?? null);
  let cpu: string | null = null;
  for (const line of (cgroup ?? '').split('\n')) {
    const [, controllers, at] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === undefined || at === undefined) continue;
    if (controllers.split(',').includes('cpu')) cpu = at;
    else if (controllers === '' && cpu === null) cpu = at;
  }
  return { nice, autogroup: group, cpuCgroup: cpu };
}

/** The RLIMIT_NICE of this process as /proc/self/limits states it ("0": it may not raise any priority). */
export function niceLimit(): string | null {
  const line = readProc('/proc/self/limits')
    ?.split('\n')
    .find((l) => l.startsWith('Max nice priority'));
  return line?.split(/\s{2,}/)[1] ?? null;
}

/**
 * A bounded busy load: `n` child processes that each spin one core for at most `maxMs` (they end by themselves
 * even if this process dies), each `offset` nice steps below this process's main thread (a process may always
 * lower its own priority). They are started as ordinary children, not in a session of their own (no setsid), so
 * they stay in this process's autogroup and cgroup: there CFS shares the CPU by nice weight, which is what the
 * model needs. Resolves once every child spins and has reported where it is scheduled. stop() ends them at once.
 */
export async function busyLoad(n: number, maxMs: number, offset: number): Promise<BusyLoad> {
  const self = schedPlaceOf(os.getPriority(0), readProc('/proc/self/autogroup'), readProc('/proc/self/cgroup'));
  const code = [
    `const os = require('node:os'), fs = require('node:fs');`,
    `const read = (f) => { try { return fs.readFileSync(f, 'utf8').trim(); } catch { return null; } };`,
    `try { os.setPriority(0, Math.min(19, os.getPriority(0) + ${offset})); } catch {}`,
    `process.stdout.write(JSON.stringify({ nice: os.getPriority(0), autogroup: read('/proc/self/autogroup'), cgroup: read('/proc/self/cgroup') }) + '\\n');`,
    `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`,
  ].join('\n');
  const children: ChildProcess[] = [];
  const stop = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  try {
    const places = await Promise.all(
      Array.from({ length: n }, async () => {
        const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
        children.push(child);
        const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
        const r = JSON.parse(line) as { nice: number; autogroup: string | null; cgroup: string | null };
        return schedPlaceOf(r.nice, r.autogroup, r.cgroup);
      }),
    );
    const want = Math.min(19, self.nice + offset);
    const problems = [
      places.some((c) => c.autogroup !== self.autogroup) && 'a child is in another autogroup',
      places.some((c) => c.cpuCgroup !== self.cpuCgroup) && 'a child is in another cpu cgroup',
      places.some((c) => c.nice !== want) && `a child is not at nice ${want}`,
      self.nice + offset > 19 && `nice ${self.nice} + ${offset} is above 19`,
    ].filter((p): p is string => typeof p === 'string');
    return { self, children: places, offset, unfaithful: problems.length ? problems.join('; ') : null, stop };
  } catch (err) {
    stop();
    throw err;
  }
}
