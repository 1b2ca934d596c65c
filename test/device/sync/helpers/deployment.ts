// A signed deployment for sync tests: a root key, an issuer key, bundles by version and a revocation log with
// deltas and snapshots — the artefacts a server would publish, built with the real protocol functions.
import { randomBytes } from 'node:crypto';
import {
  generateSigningKey,
  newLogId,
  issuePass,
  signBundle,
  signFreshness,
  signRevocations,
} from '../../../../protocol/index.js';
import type { SigningKey } from '../../../../protocol/index.js';
import type {
  Colour,
  FreshnessStatement,
  RevocationDelta,
  RevokedEntry,
  TrustBundle,
} from '../../../../protocol/types.js';

export const T0 = 1_800_000_000; // epoch seconds used as "now" by the unit tests

export function randomId(): string {
  return randomBytes(16).toString('hex');
}

export class Deployment {
  readonly root: SigningKey = generateSigningKey('root');
  readonly issuer: SigningKey = generateSigningKey('gatecode');
  version = 0;
  bundleBytes: Uint8Array = new Uint8Array(0);
  bundle!: TrustBundle;
  /** steps[i] holds the ids added to go from sequence i to i+1. */
  readonly steps: RevokedEntry[][] = [];
  /** The server history the sequence numbers belong to. */
  logId: string = newLogId();

  constructor(
    readonly issuedAt: () => number = () => T0,
    readonly maxOfflineAgeSeconds = 48 * 3600,
  ) {
    this.publishBundle();
  }

  get seq(): number {
    return this.steps.length;
  }

  publishBundle(overrides: Partial<TrustBundle> = {}): Uint8Array {
    this.version += 1;
    const now = this.issuedAt();
    this.bundle = {
      version: this.version,
      issuedAt: now,
      issuers: [
        {
          kid: this.issuer.kid,
          issuer: this.issuer.issuer,
          publicKey: Buffer.from(this.issuer.publicKey).toString('base64url'),
          validFrom: T0 - 86_400,
          validUntil: T0 + 365 * 86_400,
          status: 'active',
        },
      ],
      revocationKeys: [],
      policy: {
        actions: { green: 'open', yellow: 'attention', red: 'deny' },
        maxOfflineAgeSeconds: this.maxOfflineAgeSeconds,
      },
      sunset: T0 + 365 * 86_400,
      ...overrides,
    };
    this.bundleBytes = signBundle(this.bundle, this.root);
    return this.bundleBytes;
  }

  /** Sign a bundle of a given version without making it current (for rollback tests). */
  bundleOfVersion(version: number, key: SigningKey = this.root, overrides: Partial<TrustBundle> = {}): Uint8Array {
    return signBundle({ ...this.bundle, version, ...overrides }, key);
  }

  /** One new sequence step revoking `ids` (or `count` fresh random ids). Returns the ids. */
  revoke(ids: string[] | number, expiresAt = T0 + 30 * 86_400): string[] {
    const list = typeof ids === 'number' ? Array.from({ length: ids }, randomId) : ids;
    this.steps.push(list.map((revocationId) => ({ revocationId, expiresAt })));
    return list;
  }

  delta(since: number, to = this.seq, key: SigningKey = this.root): Uint8Array {
    const added = this.steps.slice(since, to).flat();
    const d: RevocationDelta = {
      kind: 'delta',
      logId: this.logId,
      fromSeq: since,
      toSeq: to,
      issuedAt: this.issuedAt(),
      added,
      removed: [],
    };
    return signRevocations(d, key);
  }

  snapshot(to = this.seq): Uint8Array {
    const added = this.steps.slice(0, to).flat();
    return signRevocations(
      { kind: 'snapshot', logId: this.logId, fromSeq: 0, toSeq: to, issuedAt: this.issuedAt(), added, removed: [] },
      this.root,
    );
  }

  /** A freshness statement for the current bundle version and sequence, issued now (or as overridden). */
  freshness(over: Partial<FreshnessStatement> = {}, key: SigningKey = this.root): Uint8Array {
    return signFreshness(
      {
        issuedAt: this.issuedAt(),
        logId: this.logId,
        bundleVersion: this.version,
        revocationSeq: this.seq,
        ...over,
      },
      key,
    );
  }

  /** What a server answers to `GET /api/device/revocations?since=N`: bytes, or null for "nothing newer". */
  revocationsSince(since: number): Uint8Array | null {
    if (since >= this.seq) return null;
    return this.delta(since);
  }

  pass(colour: Colour = 'green', revocationId?: string): { text: string; revocationId: string } {
    const { text, claims } = issuePass(
      {
        colour,
        notBefore: T0 - 3600,
        expiresAt: T0 + 30 * 86_400,
        scope: 'all',
        issuedAt: T0 - 3600,
        ...(revocationId ? { revocationId } : {}),
      },
      this.issuer,
    );
    return { text, revocationId: claims.revocationId };
  }
}

/** Flip one byte near the end of a signed artefact (inside the signature). */
export function tamper(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes);
  const i = copy.length - 5;
  copy[i] = (copy[i] as number) ^ 0x01;
  return copy;
}
