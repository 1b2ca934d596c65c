// The gate's memory of holder proofs it accepted: for each holder-bound pass, the newest time step that verified.
// A proof with that step or an older one is a replay (PROOF_REPLAYED), whether the screenshot is seconds or minutes
// old. Kept in memory only: after a restart the proof window alone bounds a replay. Entries older than the window
// are useless (such a proof is PROOF_STALE anyway) and are dropped once the map grows.
import { PROOF_STEP_SECONDS } from '../protocol/holder/proof.js';

export class ProofReplayGuard {
  private readonly accepted = new Map<string, number>();

  constructor(private readonly maxEntries = 4096) {}

  /** Whether `step` was already used for this pass; if not, remember it. `now` (seconds) drives pruning. */
  seen(passId: string, step: number, now: number, windowSeconds: number): boolean {
    const last = this.accepted.get(passId);
    if (last !== undefined && last >= step) return true;
    this.accepted.delete(passId);
    this.accepted.set(passId, step);
    if (this.accepted.size > this.maxEntries) this.prune(now, windowSeconds);
    return false;
  }

  get size(): number {
    return this.accepted.size;
  }

  private prune(now: number, windowSeconds: number): void {
    const oldest = Math.floor((now - windowSeconds) / PROOF_STEP_SECONDS);
    for (const [id, step] of this.accepted) if (step < oldest) this.accepted.delete(id);
    // Still full of live entries: drop the least recently accepted (insertion order).
    for (const id of this.accepted.keys()) {
      if (this.accepted.size <= this.maxEntries) break;
      this.accepted.delete(id);
    }
  }
}
