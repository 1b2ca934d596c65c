// Token buckets keyed by client address or token id, with an injected clock (milliseconds).
// Memory is bounded: when the map is full, the least recently used bucket goes first (a refilled bucket
// is the same as a missing one, so nothing is lost by dropping idle ones). Recency is kept to the second: a busy
// key moves to the recent end of the map at most once a second, not on every take. Deleting and re-adding a key on
// every take left V8's hash chain of that key full of deleted entries until the table was rebuilt: one hot key in
// a map of 10,000 cost about 50 µs a take instead of under 1 µs.

/** A bucket used again is moved to the recent end at most this often (ms). */
const MOVE_MS = 1000;

export interface BucketSpec {
  readonly ratePerSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** When it last moved to the recent end of the map (ms). */
  moved: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly spec: BucketSpec;
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(spec: BucketSpec, now: () => number, maxKeys = 10_000) {
    this.spec = spec;
    this.now = now;
    this.maxKeys = maxKeys;
  }

  /**
   * Take `cost` tokens (default one) for `key`. Returns 0 when allowed, else the seconds until that many are
   * available (a cost above the burst can never be taken: the caller splits it).
   */
  take(key: string, cost = 1): number {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b) {
      const refill = ((now - b.at) / 1000) * this.spec.ratePerSecond;
      b.tokens = Math.min(this.spec.burst, b.tokens + Math.max(0, refill));
      b.at = now;
      if (now - b.moved >= MOVE_MS) {
        this.buckets.delete(key); // re-inserted: Map order = recency
        this.buckets.set(key, b);
        b.moved = now;
      }
    } else {
      b = { tokens: this.spec.burst, at: now, moved: now };
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      this.buckets.set(key, b);
    }
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil((cost - b.tokens) / this.spec.ratePerSecond));
  }

  get size(): number {
    return this.buckets.size;
  }
}
