// The scanner's one-way line: frame → decode → verify → decide → actuate → record. Each frame is taken from the
// camera (which keeps only the newest), decoded; a code that the presence tracker lets through is verified and
// decided; the relay command goes out first, then the LEDs, then the status hub sees the frame, then the store
// and the status hub are told the verdict. Nothing that can wait is done before the relay command.
import type { GreyFrame } from '../hardware/camera/types.js';
import type { Clock } from '../common/clock.js';
import { decideText } from './decide.js';
import type { Decision, DecideInputs, DecideStore } from './decide.js';
import type { GateController } from './gate.js';
import type { LedController } from './leds/machine.js';
import type { Logger } from './log.js';
import { logHash } from './log.js';
import { ProofReplayGuard } from './holder-replay.js';
import { VerifiedPassCache } from '../protocol/pass/cache.js';
import { PresenceTracker } from './presence.js';
import type { PresenceOptions } from './presence.js';
import type { EventInput } from './store/types.js';

type Hit = { readonly text: string; readonly corners: readonly (readonly [number, number])[] | null };

/**
 * The decoder as the pipeline uses it (device/decode's FrameDecoder fits). A decoder pool resolves with the first
 * pass's result and may report an escalation's read of the same frame later through `late`: the pipeline decides
 * it as a read of that frame (the presence logic keeps one verdict per showing).
 */
export interface PipelineDecoder {
  decode(frame: GreyFrame, late?: (hit: Hit) => void): Promise<Hit | null>;
  /**
   * How many frames the pipeline may hand over before the first has answered (default 1). A decoder pool takes
   * two: the next frame waits inside the pool and its first pass starts the moment the previous one ends, while
   * this thread still verifies and decides the previous frame. Verdicts still come in frame order.
   */
  readonly frameSlots?: number;
}

export interface PipelineStore extends DecideStore {
  addEvent(e: EventInput): number;
  passbackRecord(hash: string, zone: string, direction: 'in' | 'out', until: number): void;
  bump(counter: string, by?: number): void;
}

/** What the pipeline reports to (the status hub fits). */
export interface PipelineReporter {
  frame(frame: GreyFrame, corners: readonly (readonly [number, number])[] | null): void;
  verdict(v: { at: number; colour: Decision['colour']; reason: string; opened: boolean }): void;
}

export interface StageTimings {
  readonly decodeMs: number;
  readonly verifyMs: number;
  readonly decideMs: number;
  readonly actuateMs: number;
  readonly recordMs: number;
  /** From the frame's arrival (its timestamp) to the relay command; null when the gate did not open. */
  readonly arrivalToRelayMs: number | null;
}

export interface FrameOutcome {
  readonly seq: number;
  readonly decoded: boolean;
  readonly decision: Decision | null;
  readonly eventId: number | null;
  readonly timings: StageTimings;
}

export interface PipelineDeps {
  readonly decoder: PipelineDecoder;
  readonly store: PipelineStore;
  readonly gate: Pick<GateController, 'open' | 'expectPassage'>;
  readonly leds: Pick<LedController, 'showDecision'>;
  readonly reporter: PipelineReporter | null;
  readonly clock: Clock;
  readonly log: Logger;
  /** The current trust state, place and options (the runtime swaps trust data when a sync lands). */
  readonly inputs: () => Omit<DecideInputs, 'store'>;
  /** Monotonic ms, same clock as frame timestamps (performance.now by default). */
  readonly monotonic?: () => number;
}

export interface PipelineStats {
  frames: number;
  decoded: number;
  decisions: number;
  errors: number;
  /** Wall-clock ms (the injected clock) of the last frame taken, null before the first. */
  lastFrameAt: number | null;
}

export class Pipeline {
  private readonly presence: PresenceTracker;
  private readonly mono: () => number;
  /** Holder proofs accepted at this gate: a screenshot of a code already used is PROOF_REPLAYED. */
  private readonly proofs = new ProofReplayGuard();
  /** Pass texts whose issuer signature already held: a live code's next showing checks only its proof. */
  private readonly verified = new VerifiedPassCache();
  private readonly listeners = new Set<(outcome: FrameOutcome) => void>();
  private stopped = false;
  private active = 0;
  /** Settles when the last frame handed to the decoder has been decided (frames are decided in order). */
  private turn: Promise<void> = Promise.resolve();
  readonly stats: PipelineStats = { frames: 0, decoded: 0, decisions: 0, errors: 0, lastFrameAt: null };

  constructor(
    private readonly deps: PipelineDeps,
    presence: PresenceOptions,
  ) {
    this.presence = new PresenceTracker(presence);
    this.mono = deps.monotonic ?? (() => performance.now());
  }

  /** Listen to every decided frame's outcome (tests, CLI, benchmarks). Returns an unsubscribe function. */
  onDecision(fn: (outcome: FrameOutcome) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Consume frames until the source ends or stop() is called. Errors of one frame never end the loop. Up to the
   * decoder's frameSlots frames are in flight at once (taken from the source as they come); each is decided in
   * the order it was taken.
   */
  async run(frames: AsyncIterable<GreyFrame>): Promise<void> {
    const slots = Math.max(1, Math.floor(this.deps.decoder.frameSlots ?? 1));
    const pending = new Set<Promise<void>>();
    for await (const frame of frames) {
      if (this.stopped) break;
      // A failure is reported in the frame's turn (stages), so its fault pattern never follows a later verdict.
      const done: Promise<void> = this.take(frame, true).then(
        () => undefined,
        () => undefined,
      );
      pending.add(done);
      void done.then(() => pending.delete(done));
      while (pending.size >= slots) await Promise.race(pending);
      if (this.stopped) break;
    }
    await Promise.all(pending);
  }

  private failed(frame: GreyFrame, err: unknown): void {
    this.stats.errors++;
    this.deps.log.error({ err: (err as Error).message, seq: frame.seq }, 'frame failed');
    this.deps.leds.showDecision('fault');
  }

  /** The trust data changed (keys, policy, revocations, sunset): forget every remembered signature. */
  trustChanged(): void {
    this.verified.clear();
  }

  /** How many pass signatures are remembered (tests, status). */
  get verifiedPasses(): number {
    return this.verified.size;
  }

  stop(): void {
    this.stopped = true;
  }

  /** True while a frame is between decode and record. */
  get inFlight(): boolean {
    return this.active > 0;
  }

  /** Take one frame through every stage. */
  async process(frame: GreyFrame): Promise<FrameOutcome> {
    return this.take(frame, false);
  }

  /** `report`: a failure of this frame is counted, logged and shown (the fault pattern) in its turn. */
  private async take(frame: GreyFrame, report: boolean): Promise<FrameOutcome> {
    this.active++;
    try {
      return await this.stages(frame, report);
    } finally {
      this.active--;
    }
  }

  private async stages(frame: GreyFrame, report: boolean): Promise<FrameOutcome> {
    const { deps } = this;
    this.stats.frames++;
    this.stats.lastFrameAt = deps.clock.now();
    const t0 = this.mono();
    // The presence number of this frame, once observed; an escalation's read that comes before waits for it.
    const seen: { frameNo: number | null; early: [Hit, number][] } = { frameNo: null, early: [] };
    const decoding = deps.decoder
      .decode(frame, (late) => this.lateRead(frame, seen, late, this.mono() - t0))
      .then(
        (hit) => ({ hit, ms: this.mono() - t0 }),
        (err: unknown) => ({ err }),
      );
    // Frames are decided in the order they were taken, whatever order their decodes end in.
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise((r) => (release = r));
    try {
      await previous;
      const result = await decoding;
      if ('err' in result) throw result.err;
      const { hit, ms: decodeMs } = result;
      if (hit) this.stats.decoded++;
      const decide = this.presence.observe(hit?.text ?? null, deps.clock.now());
      seen.frameNo = this.presence.frameNo;
      // The status page's view of the frame waits until after the relay command when this frame decides.
      const show = (): void => deps.reporter?.frame(frame, hit?.corners ?? null);
      let outcome: FrameOutcome;
      if (decide && hit !== null) outcome = this.decideHit(frame, hit, decodeMs, show);
      else {
        show();
        outcome = { seq: frame.seq, decoded: hit !== null, decision: null, eventId: null, timings: timings(decodeMs) };
      }
      for (const [late, ms] of seen.early.splice(0)) this.lateRead(frame, seen, late, ms);
      return outcome;
    } catch (err) {
      if (report) this.failed(frame, err);
      throw err;
    } finally {
      release();
    }
  }

  /** An escalation's read of an earlier frame: decided if the presence logic says it is a new showing. */
  private lateRead(
    frame: GreyFrame,
    seen: { frameNo: number | null; early: [Hit, number][] },
    hit: Hit,
    decodeMs: number,
  ): void {
    if (this.stopped) return;
    if (seen.frameNo === null) {
      seen.early.push([hit, decodeMs]);
      return;
    }
    this.stats.decoded++;
    if (!this.presence.observeLate(hit.text, seen.frameNo, this.deps.clock.now())) return;
    this.active++;
    try {
      this.decideHit(frame, hit, decodeMs);
    } catch (err) {
      this.stats.errors++;
      this.deps.log.error({ err: (err as Error).message, seq: frame.seq }, 'late read failed');
      this.deps.leds.showDecision('fault');
    } finally {
      this.active--;
    }
  }

  /** `afterRelay`: what waits until the relay command and the LEDs are out (the status hub's view of the frame). */
  private decideHit(frame: GreyFrame, hit: Hit, decodeMs: number, afterRelay?: () => void): FrameOutcome {
    const { deps } = this;
    const nowMs = deps.clock.now();
    const now = Math.floor(nowMs / 1000);
    const inputs = { ...deps.inputs(), store: deps.store, proofGuard: this.proofs, verifiedPasses: this.verified };
    const { decision, verifyMs, decideMs } = decideText(hit.text, now, inputs);
    // A grant is not decided again while the code stays in view; a denial is, after the hold-off.
    this.presence.decided(hit.text, decision.opens);

    // Actuate: the relay command first, then the LEDs (which only change state here).
    const t1 = this.mono();
    let arrivalToRelayMs: number | null = null;
    if (decision.opens) {
      deps.gate.open();
      arrivalToRelayMs = this.mono() - frame.timestamp;
    }
    deps.leds.showDecision(decision.pattern);
    const t2 = this.mono();
    try {
      afterRelay?.();
    } catch (err) {
      // The gate has opened: a failing status view must not keep the decision from being recorded.
      this.stats.errors++;
      deps.log.error({ err: (err as Error).message }, 'status report failed');
    }

    const eventId = this.record(decision, inputs.place.zone, inputs.options.passbackWindowSeconds);
    const recordMs = this.mono() - t2;
    this.stats.decisions++;
    const outcome: FrameOutcome = {
      seq: frame.seq,
      decoded: true,
      decision,
      eventId,
      timings: { decodeMs, verifyMs, decideMs, actuateMs: t2 - t1, recordMs, arrivalToRelayMs },
    };
    deps.log.info(
      {
        pass: logHash(decision.passHash),
        colour: decision.colour,
        reason: decision.reason,
        opened: decision.opens,
        ms: round2(decodeMs + verifyMs + decideMs),
      },
      'decision',
    );
    for (const fn of this.listeners) fn(outcome);
    return outcome;
  }

  /** Store the event, the anti-passback entry and the counters; tell the gate to expect the passage. */
  private record(d: Decision, zone: string, passbackWindowSeconds: number): number | null {
    const { store, gate, reporter, log } = this.deps;
    let eventId: number | null = null;
    try {
      eventId = store.addEvent({
        at: d.at,
        colour: d.colour,
        reason: d.reason,
        passHash: d.passHash,
        direction: d.direction,
        opened: d.opens,
      });
      if (d.opens && d.passHash !== null && d.direction !== null && passbackWindowSeconds > 0) {
        store.passbackRecord(d.passHash, zone, d.direction, d.at + passbackWindowSeconds);
      }
      if (!d.opens) store.bump(`denied:${d.reason}`);
    } catch (err) {
      this.stats.errors++;
      log.error({ err: (err as Error).message }, 'recording the decision failed');
    }
    if (d.opens) gate.expectPassage({ eventId, passHash: d.passHash, zone, direction: d.direction });
    reporter?.verdict({ at: d.at, colour: d.colour, reason: d.reason, opened: d.opens });
    return eventId;
  }
}

function timings(decodeMs: number): StageTimings {
  return { decodeMs, verifyMs: 0, decideMs: 0, actuateMs: 0, recordMs: 0, arrivalToRelayMs: null };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
