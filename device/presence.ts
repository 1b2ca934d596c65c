// Which decoded texts deserve a decision. A code held in front of the camera shows up in frame after frame; it
// is decided once, and again only after it has left the view (absent for `leaveFrames` frames in a row) or the
// hold-off time has passed since its last decision. Several codes in view are tracked separately.

export interface PresenceOptions {
  /** Frames in a row without the code after which it counts as gone. */
  readonly leaveFrames: number;
  /** A code still in view is decided again after this long, ms. */
  readonly holdOffMs: number;
}

export const DEFAULT_PRESENCE: PresenceOptions = { leaveFrames: 8, holdOffMs: 10_000 };

interface Seen {
  lastFrame: number;
  decidedAt: number;
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
      this.seen.set(text, { lastFrame: frame, decidedAt: nowMs });
      return true;
    }
    s.lastFrame = frame;
    if (nowMs - s.decidedAt >= this.opts.holdOffMs || nowMs < s.decidedAt) {
      s.decidedAt = nowMs;
      return true;
    }
    return false;
  }
}
