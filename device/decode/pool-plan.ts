// What the decoder pool remembers of one camera stream, and the escalation it plans for a frame whose first pass
// missed. With one worker it plans exactly what the in-process ladder runs (device/decode/passes.ts runLadder):
// crops at most once in ROI_EVERY frames, whole frames at most once in `escalateEvery`. With spare workers the
// cores pay for more while a code was read recently (someone is at the gate): every miss gets its crop and its
// whole-frame retry. A scene without a code still escalates the whole frame at most once in `escalateEvery`
// frames, so an idle gate does not keep every core busy.
import { RECENT_HIT_FRAMES, ROI_EVERY, regionAround, type EscalationPlan, type Ladder } from './passes.js';
import type { Corner } from './types.js';

export class EscalationPlanner {
  private lastHit: { corners: readonly Corner[]; frame: number } | null = null;
  private lastRoi = Number.MIN_SAFE_INTEGER;
  private lastWhole = Number.MIN_SAFE_INTEGER;
  readonly counts = { first: 0, roi: 0, whole: 0 };

  constructor(
    private readonly ladder: Ladder,
    /** More than one worker: escalations have cores of their own. */
    private readonly spare: boolean,
  ) {}

  /** A read code's corners from frame `frame` (results may come back out of order: the newest frame counts). */
  hit(frame: number, corners: readonly Corner[] | null): void {
    if (corners && (this.lastHit === null || frame >= this.lastHit.frame)) this.lastHit = { corners, frame };
  }

  /** The plan for frame `frame` whose first pass missed; null: nothing to run. */
  plan(frame: number): EscalationPlan | null {
    if (this.ladder.passes.length < 2) return null;
    const recent = this.lastHit !== null && frame - this.lastHit.frame <= RECENT_HIT_FRAMES ? this.lastHit : null;
    let roi = null;
    if (recent && frame - this.lastRoi >= (this.spare ? 1 : ROI_EVERY)) {
      roi = regionAround(recent.corners);
      this.lastRoi = frame;
      this.counts.roi++;
    }
    const whole = (this.spare && recent !== null) || frame - this.lastWhole >= this.ladder.escalateEvery;
    if (whole) {
      this.lastWhole = frame;
      this.counts.whole++;
    }
    return roi || whole ? { roi, whole } : null;
  }
}

/**
 * Which kind of job an idle worker takes next (null: nothing waits that it may run). With one worker: first passes
 * before escalations. With more: worker 0 runs first passes only; the others run waiting escalations first and a
 * first pass only when none waits, or when worker 0 is gone (being replaced). So a waiting first pass waits at
 * most for the previous frame's first pass on worker 0, never behind an escalation, and escalations keep the
 * other cores even while a busy camera stream always has its next frame waiting.
 */
export function nextJobKind(
  index: number,
  workers: number,
  worker0Alive: boolean,
  firstWaiting: boolean,
  escalationWaiting: boolean,
): 'first' | 'escalate' | null {
  const first = firstWaiting ? 'first' : null;
  const escalate = escalationWaiting ? 'escalate' : null;
  if (workers === 1) return first ?? escalate;
  if (index === 0) return first;
  return worker0Alive ? (escalate ?? first) : (first ?? escalate);
}
