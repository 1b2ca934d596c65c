// Freshness statements: the root key's signed word that, now, the current trust data is this bundle version and
// this revocation sequence of this history (log id). Devices count their data age from the newest statement that names exactly the data
// they hold, so a network that answers 304 for ever (hiding new revocations) cannot keep a device fresh.
// A statement is signed afresh by a timer every FRESHNESS_REFRESH_SECONDS and at once when the bundle version or
// the revocation sequence changed (core.ts), so a poll only hands out the prepared bytes: no database read and no
// signature per poll. A poll signs only as a fallback, when the held statement is FRESHNESS_CACHE_SECONDS old (the
// timer late, e.g. an event loop stalled). The security property is unchanged: a statement is the server's word
// about the data at `issuedAt`, never later; a device serving itself an older statement only sees its data as
// older than it is (safe side), and every change is re-signed before any poll can see the new data.
import { signFreshness, type FreshnessStatement } from '../protocol/index.js';
import type { KeyStore } from './keystore.js';
import type { RevocationLog } from './revocation-log.js';
import type { TrustState } from './trust.js';

/** The oldest statement a poll is served, seconds: an older one is signed afresh on the poll (fallback). */
export const FRESHNESS_CACHE_SECONDS = 30;
/** How often the server's timer signs a new statement ahead of the polls, seconds. */
export const FRESHNESS_REFRESH_SECONDS = 10;
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

  /**
   * A statement for the current bundle version and revocation sequence, issued within `maxAge` seconds of `now`
   * (the timer passes FRESHNESS_REFRESH_SECONDS; a poll the longer FRESHNESS_CACHE_SECONDS).
   */
  current(now: number, maxAge = FRESHNESS_CACHE_SECONDS): SignedFreshness {
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
      now - c.statement.issuedAt < maxAge
    ) {
      return c;
    }
    const statement: FreshnessStatement = Object.freeze({ issuedAt: now, logId, bundleVersion, revocationSeq });
    this.cached = { statement, bytes: signFreshness(statement, this.keys.root()) };
    return this.cached;
  }
}
