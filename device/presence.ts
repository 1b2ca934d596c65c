// Which decoded texts deserve a decision. A code held in front of the camera shows up in frame after frame; it
// is decided once, and again only after it has left the view (absent for `leaveFrames` frames in a row). A code
// whose decision was a denial is also decided again after the hold-off while it stays in view (the trust data may
// have changed meanwhile, e.g. a revocation lifted or fresh data synced); a code that opened the gate is not,
// until it has left the view: deciding it again would show a person still holding up the phone a red PASSBACK.
// Several codes in view are tracked separately.

export interface PresenceOptions {
  /** Frames in a row without the code after which it counts as gone. */
  readonly leaveFrames: number;
  /** A denied code still in view is decided again after this long, ms. */
  readonly holdOffMs: number;
}

export const DEFAULT_PRESENCE: PresenceOptions = { leaveFrames: 8, holdOffMs: 10_000 };

interface Seen {
  lastFrame: number;
  decidedAt: number;
  /** Its last decision opened the gate: no re-decision until it left the view. */
  granted: boolean;
}

export class PresenceTracker {
  private frame = 0;
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly opts: PresenceOptions) {}

  /** Report one frame's decoded text (or null); returns true when this text should be decided now. */
  observe(text: string | null, nowMs: number): boolean {
    const frame = ++this.frame;
    for (const [key, s] of this.seen) {
      if (frame - s.lastFrame > this.opts.leaveFrames) this.seen.delete(key);
    }
    if (text === null) return false;
    const s = this.seen.get(text);
    if (s === undefined) {
      this.seen.set(text, { lastFrame: frame, decidedAt: nowMs, granted: false });
      return true;
    }
    s.lastFrame = frame;
    if (s.granted) return false;
    if (nowMs - s.decidedAt >= this.opts.holdOffMs || nowMs < s.decidedAt) {
      s.decidedAt = nowMs;
      return true;
    }
    return false;
  }

  /**
   * Report the decision for a text that observe() let through: `opened` true (a grant) holds it undecided until
   * it has left the view; false (a denial) keeps the hold-off re-decision.
   */
  decided(text: string, opened: boolean): void {
    const s = this.seen.get(text);
    if (s !== undefined) s.granted = opened;
  }
}
