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

/**
 * A read that an escalation reports late (device/decode's pool) counts for the frame it came from, if that frame
 * is at most this many frames old; entries are kept this much longer than `leaveFrames`, so a late read of a
 * showing already decided finds it and is not decided again.
 */
export const LATE_FRAMES = 64;

export class PresenceTracker {
  private frame = 0;
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly opts: PresenceOptions) {}

  /** The number of the last frame observed (the next observe() is this + 1). */
  get frameNo(): number {
    return this.frame;
  }

  /** Report one frame's decoded text (or null); returns true when this text should be decided now. */
  observe(text: string | null, nowMs: number): boolean {
    const frame = ++this.frame;
    for (const [key, s] of this.seen) {
      if (frame - s.lastFrame > this.opts.leaveFrames + LATE_FRAMES) this.seen.delete(key);
    }
    if (text === null) return false;
    return this.see(text, frame, nowMs);
  }

  /**
   * Report a text read late from the earlier frame `frame` (a number from frameNo): true when it should be
   * decided now. A read older than LATE_FRAMES frames is not (the holder has likely gone); a read inside a showing
   * already seen counts as that showing (no second verdict).
   */
  observeLate(text: string, frame: number, nowMs: number): boolean {
    if (this.frame - frame > LATE_FRAMES || frame > this.frame) return false;
    return this.see(text, frame, nowMs);
  }

  private see(text: string, frame: number, nowMs: number): boolean {
    const s = this.seen.get(text);
    // Absent for more than leaveFrames frames before this one: it had left the view, this is a new showing.
    if (s === undefined || frame - s.lastFrame > this.opts.leaveFrames) {
      this.seen.set(text, { lastFrame: frame, decidedAt: nowMs, granted: false });
      return true;
    }
    s.lastFrame = Math.max(s.lastFrame, frame);
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
