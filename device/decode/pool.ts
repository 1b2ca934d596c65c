// The decoder pool: decode on every core the gate has. With two workers or more, worker 0 runs the first passes
// (the cheap single read of each frame) and nothing else, so the newest frame's first pass never waits behind an
// escalation; a pipeline may hand over the next frame before the previous one answered (frameSlots): it goes to
// an idle worker, or waits inside worker 0 behind the first pass it runs, so it starts the moment that one ends,
// without a round trip through this thread. A frame whose first pass missed is escalated (crop, whole-frame retry
// with the further passes) on the other workers in parallel, which take first passes only when no escalation
// waits (pool-plan.ts nextJobKind). With one worker it runs both, first passes first.
// - decode(frame, late): resolves with the first pass's result; an escalation's read comes later through `late`
//   (at most once per frame, never after close). The pipeline decides it like any other read.
// - decode(frame): resolves with the final result (first pass, or the escalation's; null if it was dropped).
// Escalations are dropped when stale: at most `workers` wait (the oldest gives way to a newer frame), a waiting
// crop retry gives way once a newer frame has read the code again, and none starts or reports for a frame more
// than STALE_FRAMES frames older than the newest. A worker that dies is replaced; the frame it held gets no
// result (a first pass fails with WORKER_FAILED, an escalation reports nothing), never an invented one.
import type { Worker } from 'node:worker_threads';
import type { GreyFrame } from '../../hardware/camera/types.js';
import { checkFrame, ladderFor } from './local.js';
import { checkLadder, type EscalationPlan } from './passes.js';
import { EscalationPlanner, nextJobKind } from './pool-plan.js';
import { spawnDecodeWorker } from './spawn.js';
import { DecodeError, type DecodeHit, type DecoderConfig, type FrameDecoder, type LateHit } from './types.js';
import type { DecodeRequest, WorkerMessage } from './worker-protocol.js';

/** An escalation of a frame this many frames older than the newest is dropped (1 s at 30 frames/s). */
export const STALE_FRAMES = 30;
/**
 * With two workers or more, worker 0 runs first passes and the others run escalations (and first passes only when
 * worker 0 is busy) this many nice steps below the thread that started the pool (Linux, per thread), so on a
 * loaded or small machine an escalation takes the CPU that the newest frame's first pass leaves, not the other way
 * round. Relative, not absolute: under the unit's Nice=-10 (device/install/priority.ts) escalations run at 0.
 */
export const ESCALATION_NICE = 10;
/**
 * Luma planes kept for reuse, beyond one per worker. Every job's plane comes back from its worker (transferred, not
 * copied), so a frame's copy goes into memory already mapped instead of a fresh 300 kB allocation (page faults,
 * and external memory that makes V8 collect more often on both threads), on the way to the relay.
 */
const SPARE_PLANES = 2;

interface FrameData {
  readonly frame: number;
  readonly width: number;
  readonly height: number;
  data: ArrayBuffer;
}

interface FirstJob extends FrameData {
  readonly kind: 'first';
  readonly late: LateHit | undefined;
  resolve(hit: DecodeHit | null): void;
  reject(err: DecodeError): void;
}

interface EscalationJob extends FrameData {
  readonly kind: 'escalate';
  readonly plan: EscalationPlan;
  readonly budgetMs: number;
  /** The escalation's read, or null (missed, dropped, or its worker died: `err`). */
  settle(hit: DecodeHit | null, err?: DecodeError): void;
}

type Job = FirstJob | EscalationJob;

interface Slot {
  worker: Worker | null;
  /** Sent to the worker, in order: the first runs; worker 0 may hold the next first pass behind it. */
  jobs: Job[];
  starting: boolean;
}

export interface PoolStats {
  /** First passes run, crop and whole-frame escalations planned (as ladderCounts). */
  first: number;
  roi: number;
  whole: number;
  /** Escalations dropped as stale before they started or before their read was reported. */
  dropped: number;
  /** Reads reported late, by an escalation. */
  late: number;
  /** Workers that died and were replaced. */
  replaced: number;
  /** Escalations running now, and waiting for a worker. */
  escalating: number;
  waiting: number;
  /** First passes not started yet: waiting in the pool, or inside worker 0 behind the one it runs. */
  firstWaiting: number;
}

/** Default pool size: every core this process may use (os.availableParallelism()), at most 8. */
export function defaultWorkers(cores: number): number {
  return Math.max(1, Math.min(8, cores));
}

export class DecoderPool implements FrameDecoder {
  private readonly slots: Slot[];
  private readonly firstQueue: FirstJob[] = [];
  private readonly waiting: EscalationJob[] = [];
  /** Planes handed back by the workers, for the next frames' copies. */
  private readonly planes: ArrayBuffer[] = [];
  private readonly planner;
  private readonly budgetMs: number;
  private frameNo = 0;
  private closed = false;
  private readonly counters = { dropped: 0, late: 0, replaced: 0 };

  private constructor(
    private readonly config: DecoderConfig,
    workers: Worker[],
  ) {
    const ladder = ladderFor(config);
    this.budgetMs = ladder.budgetMs;
    this.planner = new EscalationPlanner(ladder, workers.length > 1);
    this.slots = workers.map(() => ({ worker: null, jobs: [], starting: false }));
    workers.forEach((w, i) => this.attach(i, w));
  }

  /** Start `workers` threads (each loads the engine) and wait for all of them. */
  static async start(config: DecoderConfig, workers: number): Promise<DecoderPool> {
    checkLadder(ladderFor(config));
    if (!Number.isInteger(workers) || workers < 1 || workers > 64)
      throw new DecodeError('BAD_CONFIG', 'workers must be an integer from 1 to 64');
    const started = await Promise.allSettled(
      Array.from({ length: workers }, (_, i) => spawnDecodeWorker(config, niceOf(i, workers))),
    );
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      for (const s of started) if (s.status === 'fulfilled') await s.value.terminate();
      throw failed.reason;
    }
    return new DecoderPool(
      config,
      started.map((s) => (s as PromiseFulfilledResult<Worker>).value),
    );
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Frames a pipeline may hand over before the first has answered (device/pipeline.ts): with two workers or more,
   * two, so the next frame's first pass starts on worker 0 the moment the previous one ends. With one worker, one:
   * a queued first pass would always run before the escalations, which would then never run on a busy stream.
   */
  get frameSlots(): number {
    return this.slots.length > 1 ? 2 : 1;
  }

  stats(): PoolStats {
    const escalating = this.slots.filter((s) => s.jobs[0]?.kind === 'escalate').length;
    const held = this.slots.reduce((n, s) => n + Math.max(0, s.jobs.length - 1), 0);
    return {
      ...this.planner.counts,
      ...this.counters,
      escalating,
      waiting: this.waiting.length,
      firstWaiting: this.firstQueue.length + held,
    };
  }

  /** The worker threads, for diagnostics and tests (null: being replaced). */
  get workers(): readonly (Worker | null)[] {
    return this.slots.map((s) => s.worker);
  }

  /** What each worker is doing now: a first pass, an escalation, or nothing. */
  jobs(): readonly ('first' | 'escalate' | null)[] {
    return this.slots.map((s) => s.jobs[0]?.kind ?? null);
  }

  async decode(frame: GreyFrame, late?: LateHit): Promise<DecodeHit | null> {
    if (this.closed) throw new DecodeError('CLOSED', 'decoder is closed');
    checkFrame(frame);
    if (!this.slots.some((s) => s.worker || s.starting)) this.replaceDead();
    const no = ++this.frameNo;
    this.planner.counts.first++;
    // A private copy: the caller keeps its frame, and a view into a larger buffer never drags the rest along.
    const data = this.planeFor(frame.data);
    return new Promise<DecodeHit | null>((resolve, reject) => {
      this.firstQueue.push({
        kind: 'first',
        frame: no,
        width: frame.width,
        height: frame.height,
        data,
        late,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedErr = new DecodeError('CLOSED', 'decoder is closed');
    for (const job of this.firstQueue.splice(0)) job.reject(closedErr);
    for (const job of this.waiting.splice(0)) job.settle(null, closedErr);
    const workers: Worker[] = [];
    for (const slot of this.slots) {
      const { worker } = slot;
      slot.worker = null;
      for (const job of slot.jobs.splice(0)) this.failJob(job, closedErr);
      if (worker) workers.push(worker);
    }
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private attach(index: number, worker: Worker): void {
    const slot = this.slots[index]!;
    slot.worker = worker;
    worker.unref();
    worker.on('message', (msg: WorkerMessage) => this.onMessage(slot, worker, msg));
    worker.once('error', (err) => this.onDeath(index, worker, `decode worker crashed: ${err.message}`));
    worker.once('exit', (code) => this.onDeath(index, worker, `decode worker exited (code ${code})`));
  }

  private onDeath(index: number, worker: Worker, message: string): void {
    const slot = this.slots[index]!;
    if (slot.worker !== worker) return;
    slot.worker = null;
    for (const job of slot.jobs.splice(0)) this.failJob(job, new DecodeError('WORKER_FAILED', message));
    if (this.closed) return;
    this.counters.replaced++;
    this.respawn(index);
    this.pump();
  }

  private respawn(index: number): void {
    const slot = this.slots[index]!;
    slot.starting = true;
    spawnDecodeWorker(this.config, niceOf(index, this.slots.length)).then(
      (w) => {
        slot.starting = false;
        if (this.closed) void w.terminate();
        else {
          this.attach(index, w);
          this.pump();
        }
      },
      (err: DecodeError) => {
        slot.starting = false;
        // No worker left to serve the waiting frames: they fail now; the next decode tries again.
        if (!this.slots.some((s) => s.worker || s.starting))
          for (const job of this.firstQueue.splice(0)) job.reject(err);
      },
    );
  }

  private replaceDead(): void {
    this.slots.forEach((s, i) => {
      if (!s.worker && !s.starting) this.respawn(i);
    });
  }

  /** A copy of `src` in a plane handed back earlier when one of its size is spare, else in a new one. */
  private planeFor(src: Uint8Array): ArrayBuffer {
    const i = this.planes.findIndex((b) => b.byteLength === src.byteLength);
    if (i < 0) return src.slice().buffer;
    const plane = this.planes.splice(i, 1)[0]!;
    new Uint8Array(plane).set(src);
    return plane;
  }

  /** Keep a plane a worker handed back (the newest ones, a few more than there are workers). */
  private recycle(plane: ArrayBuffer | null): void {
    if (!plane || plane.byteLength === 0 || this.closed) return;
    this.planes.push(plane);
    if (this.planes.length > this.slots.length + SPARE_PLANES) this.planes.shift();
  }

  private failJob(job: Job, err: DecodeError): void {
    if (job.kind === 'first') job.reject(err);
    else job.settle(null, err);
  }

  private drop(job: EscalationJob): void {
    this.counters.dropped++;
    job.settle(null);
  }

  /** Hand waiting jobs to idle workers, as nextJobKind says. */
  private pump(): void {
    if (this.closed) return;
    for (const job of this.waiting.filter((j) => this.frameNo - j.frame > STALE_FRAMES)) {
      this.waiting.splice(this.waiting.indexOf(job), 1);
      this.drop(job);
    }
    const worker0Alive = this.slots[0]!.worker !== null;
    this.slots.forEach((slot, i) => {
      if (!slot.worker || slot.jobs.length > 0) return;
      const kind = nextJobKind(i, this.slots.length, worker0Alive, this.firstQueue.length > 0, this.waiting.length > 0);
      if (kind === 'first') this.send(slot, this.firstQueue.shift()!);
      else if (kind === 'escalate') this.send(slot, this.waiting.pop()!); // the newest frame first
    });
    // With two workers or more, the next first pass waits inside worker 0, behind the one it runs: it starts the
    // moment that one ends, without a round trip through this thread.
    const w0 = this.slots[0]!;
    if (this.slots.length > 1 && w0.worker && w0.jobs.length === 1 && this.firstQueue.length > 0)
      this.send(w0, this.firstQueue.shift()!);
  }

  private send(slot: Slot, job: Job): void {
    const worker = slot.worker!;
    slot.jobs.push(job);
    worker.ref();
    const base = { id: job.frame, width: job.width, height: job.height, data: job.data };
    const req: DecodeRequest =
      job.kind === 'first'
        ? { ...base, kind: 'first' }
        : { ...base, kind: 'escalate', plan: job.plan, budgetMs: job.budgetMs };
    worker.postMessage(req, [job.data]);
  }

  private onMessage(slot: Slot, worker: Worker, msg: WorkerMessage): void {
    if (slot.worker !== worker || (msg.type !== 'result' && msg.type !== 'failed')) return;
    const job = slot.jobs[0];
    if (!job || job.frame !== msg.id) return;
    slot.jobs.shift();
    if (slot.jobs.length === 0) worker.unref();
    if (msg.type === 'failed') this.failJob(job, new DecodeError(msg.code, msg.message));
    else if (job.kind === 'first') this.firstDone(job, msg.hit, msg.ms, msg.data);
    else {
      this.recycle(msg.data);
      if (msg.hit && this.frameNo - job.frame > STALE_FRAMES) this.drop(job);
      else job.settle(msg.hit);
    }
    this.pump();
  }

  private firstDone(job: FirstJob, hit: DecodeHit | null, ms: number, data: ArrayBuffer | null): void {
    if (hit) {
      this.recycle(data);
      this.planner.hit(job.frame, hit.corners);
      // A crop retry of an older frame would read the code this frame has just read.
      for (const w of this.waiting.filter((j) => j.frame < job.frame && !j.plan.whole)) {
        this.waiting.splice(this.waiting.indexOf(w), 1);
        this.drop(w);
      }
      job.resolve(hit);
      return;
    }
    const plan = data ? this.planner.plan(job.frame) : null;
    if (!plan || !data) {
      this.recycle(data);
      job.resolve(null);
      return;
    }
    const { late } = job;
    if (late) job.resolve(null);
    const esc: EscalationJob = {
      kind: 'escalate',
      frame: job.frame,
      width: job.width,
      height: job.height,
      data,
      plan,
      budgetMs: Math.max(1, this.budgetMs - ms),
      settle: (found, err) => {
        if (found) this.planner.hit(job.frame, found.corners);
        if (late) {
          if (found && !this.closed) {
            this.counters.late++;
            late(found);
          }
        } else if (err) job.reject(err);
        else job.resolve(found);
      },
    };
    this.waiting.push(esc);
    while (this.waiting.length > this.slots.length) this.drop(this.waiting.shift()!);
  }
}

function niceOf(index: number, workers: number): number {
  return workers > 1 && index > 0 ? ESCALATION_NICE : 0;
}
