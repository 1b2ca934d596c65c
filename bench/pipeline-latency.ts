// The arrival → relay command part of bench:pipeline: rendered phone scenes of real signed green passes pushed into
// a SimCamera at a camera's frame rate, through the device's own Pipeline (zxing decoder pool of `workers` threads,
// real SQLite store, GateController over the simulated GPIO, LED state machine, every decision logged at info to a
// file as the device logs it). The pipeline measures each grant from the frame's arrival timestamp to the relay
// command; the stages of that time are reported beside it (where it goes, under load or not).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { SimCamera } from '../hardware/camera/sim/camera.js';
import { renderPhoneScene } from '../hardware/camera/sim/scene.js';
import type { GreyFrame } from '../hardware/camera/types.js';
import { SimGpio } from '../hardware/gpio/sim.js';
import { SimLedRing } from '../hardware/leds/sim.js';
import { systemClock } from '../common/clock.js';
import { DecoderPool } from '../device/decode/index.js';
import type { WorkerMessage } from '../device/decode/worker-protocol.js';
import { DEFAULT_GATE_OPTIONS, GateController } from '../device/gate.js';
import { DEFAULT_LED_OPTIONS, LedController } from '../device/leds/machine.js';
import { createLogger } from '../device/log.js';
import { Pipeline } from '../device/pipeline.js';
import { openStore } from '../device/store/index.js';
import { encodePublicKey, generateSigningKey, issuePass } from '../protocol/index.js';
import type { TrustBundle } from '../protocol/types.js';
import { BUSY_NICE_OFFSET, GATE_CPU_WEIGHT, GATE_NICE, niceWeight } from '../device/install/priority.js';
import { busyLoad, niceLimit, type BusyLoad } from './pipeline-pool.js';

/** Median and 95th percentile, ms. */
export interface Spread {
  p50: number;
  p95: number;
}

export interface LatencyFigures {
  fps: number;
  samples: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** Reads that escalations reported late during the run (a grant from one includes the escalation's time). */
  lateReads: number;
  /**
   * Where the time of a grant goes: `decode` from the pipeline taking the frame to its first pass answering (the
   * hand-over to worker 0 and back included), `worker` the first pass inside worker 0 (every frame), `verify`
   * verify + decide, `rest` the remainder (camera hand-over, the frame-order wait, driving the relay).
   */
  stages: { decode: Spread; worker: Spread; verify: Spread; rest: Spread };
}

/** Scenes and trust data, made once and shared by every latency run of a bench. */
export interface LatencyFixture {
  readonly now: number;
  readonly bundle: TrustBundle;
  readonly scenes: readonly GreyFrame[];
}

const DISTINCT = 24;
const FPS = 30;

export async function prepareLatency(): Promise<LatencyFixture> {
  const now = Math.floor(Date.now() / 1000);
  const issuer = generateSigningKey('bench');
  const bundle: TrustBundle = {
    version: 1,
    issuedAt: now - 60,
    issuers: [
      {
        kid: issuer.kid,
        issuer: 'bench',
        publicKey: encodePublicKey(issuer.publicKey),
        validFrom: now - 86_400,
        validUntil: now + 86_400,
        status: 'active',
      },
    ],
    revocationKeys: [],
    policy: { actions: { green: 'open', yellow: 'deny', red: 'deny' }, maxOfflineAgeSeconds: 86_400 },
    sunset: now + 86_400,
  };
  const scenes: GreyFrame[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    const { text } = issuePass(
      { colour: 'green', notBefore: now - 60, expiresAt: now + 86_400, issuedAt: now - 60, scope: 'all' },
      issuer,
    );
    scenes.push(await renderPhoneScene(text, { seed: 1000 + i, perspective: 0.3, blur: 0.6, noise: 4 }));
  }
  return { now, bundle, scenes };
}

const r2 = (n: number): number => Math.round(n * 100) / 100;

function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  return { p50: r2(at(0.5)), p95: r2(at(0.95)) };
}

export async function measureLatency(fx: LatencyFixture, frames: number, workers: number): Promise<LatencyFigures> {
  const { now, bundle, scenes } = fx;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-bench-'));
  const store = openStore(path.join(dir, 'device.db'));
  // As on the device (info, written synchronously), to a file instead of journald.
  const logFile = pino.destination({ dest: path.join(dir, 'device.log'), sync: true });
  const log = createLogger({ level: 'info', destination: logFile });
  const camera = new SimCamera({ mode: 'newest' });
  const gpio = new SimGpio();
  const ring = new SimLedRing(16);
  const decoder = await DecoderPool.start({ engine: 'zxing' }, workers);
  const workerMs: number[] = [];
  decoder.workers[0]?.on('message', (m: WorkerMessage) => {
    if (m.type === 'result') workerMs.push(m.ms);
  });
  const gate = new GateController(gpio, systemClock, { ...DEFAULT_GATE_OPTIONS, pulseMs: 20 }, store, log);
  const leds = new LedController(ring, systemClock, DEFAULT_LED_OPTIONS, log);
  gate.start();
  leds.start();
  const pipeline = new Pipeline(
    {
      decoder,
      store,
      gate,
      leds,
      reporter: null,
      clock: systemClock,
      log,
      inputs: () => ({
        trust: { bundle, trustDataAt: now - 60, clockFloor: now - 60, sunsetReached: false },
        place: { site: 'gate-a', zone: 'main', direction: 'in' },
        options: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 0 },
      }),
    },
    // Each scene shows another pass; a pass comes back after DISTINCT - 1 others, so it has left the view.
    { leaveFrames: 1, holdOffMs: 60_000 },
  );
  const samples: number[] = [];
  const decode: number[] = [];
  const verify: number[] = [];
  const rest: number[] = [];
  pipeline.onDecision((o) => {
    const t = o.timings;
    if (t.arrivalToRelayMs === null) return;
    samples.push(t.arrivalToRelayMs);
    decode.push(t.decodeMs);
    verify.push(t.verifyMs + t.decideMs);
    rest.push(t.arrivalToRelayMs - t.decodeMs - t.verifyMs - t.decideMs);
  });
  const loop = pipeline.run(camera.frames());
  // Warm-up: the worker's engine loads on the first frames.
  for (const s of scenes.slice(0, 4)) await camera.push(s);
  for (const a of [samples, decode, verify, rest, workerMs]) a.length = 0;
  const lateBefore = decoder.stats().late;
  const period = 1000 / FPS;
  const start = performance.now();
  for (let i = 0; i < frames; i++) {
    const due = start + i * period;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    void camera.push(scenes[i % DISTINCT] as GreyFrame);
  }
  await sleep(200);
  camera.end();
  await loop;
  const lateReads = decoder.stats().late - lateBefore;
  gate.close();
  leds.stop();
  await decoder.close();
  gpio.close();
  store.close();
  logFile.flushSync();
  logFile.end();
  fs.rmSync(dir, { recursive: true, force: true });

  const all = spread(samples);
  return {
    fps: FPS,
    samples: samples.length,
    medianMs: all.p50,
    p95Ms: all.p95,
    maxMs: samples.length > 0 ? r2(Math.max(...samples)) : Number.NaN,
    lateReads,
    stages: { decode: spread(decode), worker: spread(workerMs), verify: spread(verify), rest: spread(rest) },
  };
}

/** One line: where a run's grant latency went. */
export function describeStages(f: LatencyFigures): string {
  const s = (x: Spread): string => `${x.p50} / ${x.p95}`;
  return (
    `stages median / p95 ms: first pass answered ${s(f.stages.decode)} (inside worker 0 ${s(f.stages.worker)}), ` +
    `verify + decide ${s(f.stages.verify)}, camera hand-over + frame order + relay ${s(f.stages.rest)}` +
    `; late escalation reads ${f.lateReads}`
  );
}

/** The three latency runs of bench:pipeline: the machine as it is, under a busy load at equal priority, and at the gate's. */
export interface LatencyRuns {
  quiet: LatencyFigures;
  equal: LatencyFigures;
  gate: LatencyFigures;
  equalLoad: Omit<BusyLoad, 'stop'>;
  gateLoad: Omit<BusyLoad, 'stop'>;
}

async function underLoad(
  fx: LatencyFixture,
  frames: number,
  cores: number,
  offset: number,
): Promise<[LatencyFigures, Omit<BusyLoad, 'stop'>]> {
  const load = await busyLoad(cores, 120_000, offset);
  try {
    const { stop: _stop, ...place } = load;
    return [await measureLatency(fx, frames, cores), place];
  } finally {
    load.stop();
  }
}

/** Run the three latency runs with a decoder pool of `cores` workers and print each with its stages. */
export async function runLatency(frames: number, cores: number): Promise<LatencyRuns> {
  const fx = await prepareLatency();
  const quiet = await measureLatency(fx, frames, cores);
  const line = (f: LatencyFigures): string =>
    `median ${f.medianMs} ms, p95 ${f.p95Ms} ms, max ${f.maxMs} ms, ${f.samples} grants  (target p95 ≤ 10 ms)`;
  console.log(
    `arrival → relay command (Pipeline + SimCamera at ${quiet.fps} fps + simulated relay, decoder pool of ${cores}, ` +
      `decisions logged at info to a file), the machine as it is: ${line(quiet)}\n  ${describeStages(quiet)}`,
  );
  const [equal, equalLoad] = await underLoad(fx, frames, cores, 0);
  console.log(
    `under load at equal priority (${cores} busy child processes, one per core, at this process's nice ` +
      `${equalLoad.self.nice}, started by this bench and stopped after the run): ${line(equal)}\n  ${describeStages(equal)}`,
  );
  const [gate, gateLoad] = await underLoad(fx, frames, cores, BUSY_NICE_OFFSET);
  const { self } = gateLoad;
  const ratio = (niceWeight(self.nice) / niceWeight(self.nice + BUSY_NICE_OFFSET)).toFixed(1);
  console.log(
    `under load at the gate's priority (${cores} busy children at nice ${gateLoad.children.map((c) => c.nice).join(', ')}: ` +
      `${BUSY_NICE_OFFSET} steps below this process (nice ${self.nice}), in its autogroup ${self.autogroup ?? '(none)'} and cpu ` +
      `cgroup ${self.cpuCgroup ?? '(none)'}, where CFS shares a core by nice weight, ${niceWeight(self.nice)} : ` +
      `${niceWeight(self.nice + BUSY_NICE_OFFSET)} ≈ ${ratio} : 1, the share the installed unit's Nice=${GATE_NICE} gives the gate ` +
      `over default-priority processes (and its CPUWeight=${GATE_CPU_WEIGHT} against other services); the load is lowered ` +
      `because this process may not raise its own priority (RLIMIT_NICE ${niceLimit() ?? 'unknown'}); other processes on ` +
      `the machine are outside the model): ${line(gate)}\n  ${describeStages(gate)}`,
  );
  if (gateLoad.unfaithful !== null)
    console.log(`  NOT a faithful model of the gate's priority: ${gateLoad.unfaithful}`);
  return { quiet, equal, gate, equalLoad, gateLoad };
}

/** The latency figures of the bench's JSON line. */
export function latencyJson(r: LatencyRuns): Record<string, unknown> {
  return {
    arrivalToRelayMedianMs: r.quiet.medianMs,
    arrivalToRelayP95Ms: r.quiet.p95Ms,
    latencySamples: r.quiet.samples,
    loadedArrivalToRelayP95Ms: r.gate.p95Ms,
    loadedArrivalToRelayMedianMs: r.gate.medianMs,
    equalLoadArrivalToRelayP95Ms: r.equal.p95Ms,
    equalLoadArrivalToRelayMedianMs: r.equal.medianMs,
    busyChildren: r.gateLoad.children.length,
    gateNice: GATE_NICE,
    gateCpuWeight: GATE_CPU_WEIGHT,
    busyNiceOffset: r.gateLoad.offset,
    busyChildrenNice: r.gateLoad.children.map((c) => c.nice),
    benchNice: r.gateLoad.self.nice,
    autogroup: r.gateLoad.self.autogroup,
    busyModelFaithful: r.gateLoad.unfaithful === null,
    busyModelProblem: r.gateLoad.unfaithful,
    latencyStages: { quiet: r.quiet.stages, equal: r.equal.stages, gate: r.gate.stages },
  };
}
