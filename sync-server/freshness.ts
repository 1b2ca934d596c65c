// Freshness statements: the root key's signed word that, now, the current trust data is this bundle version and
// this revocation sequence of this history (log id). Devices count their data age from the newest statement that names exactly the data
// they hold, so a network that answers 304 for ever (hiding new revocations) cannot keep a device fresh.
// A statement is signed afresh at most every FRESHNESS_CACHE_SECONDS (polls stay cheap) and at once when the
// bundle version or the revocation sequence changed.
import { signFreshness, type FreshnessStatement } from '../protocol/index.js';
import type { KeyStore } from './keystore.js';
import type { RevocationLog } from './revocation-log.js';
import type { TrustState } from './trust.js';

/** How long one signed statement is served again before a new one is signed, seconds. */
export const FRESHNESS_CACHE_SECONDS = 30;
/** How often `freshness.cose` in the publish dir is rewritten, seconds. */
export const FRESHNESS_PUBLISH_SECONDS = 60;

export interface SignedFreshness {
  readonly statement: FreshnessStatement;
  readonly bytes: Uint8Array;
}

export class FreshnessSigner {
  private cached: SignedFreshness | null = null;

  constructor(
    private readonly trust: TrustState,
    private readonly revocations: RevocationLog,
    private readonly keys: KeyStore,
  ) {}

  /** A statement for the current bundle version and revocation sequence, issued within the cache time of `now`. */
  current(now: number): SignedFreshness {
    const bundleVersion = this.trust.current().version;
    const revocationSeq = this.revocations.seq();
    const logId = this.revocations.logId();
    const c = this.cached;
    if (
      c &&
      c.statement.logId === logId &&
      c.statement.bundleVersion === bundleVersion &&
      c.statement.revocationSeq === revocationSeq &&
      now >= c.statement.issuedAt &&
      now - c.statement.issuedAt < FRESHNESS_CACHE_SECONDS
    ) {
      return c;
    }
    const statement: FreshnessStatement = Object.freeze({ issuedAt: now, logId, bundleVersion, revocationSeq });
    this.cached = { statement, bytes: signFreshness(statement, this.keys.root()) };
    return this.cached;
  }
}
