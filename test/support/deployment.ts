// One throw-away deployment for every suite: root and issuer keys, signed trust bundles, passes, revocation lists
// and freshness statements, all made with the real protocol code. Two ways to use it: build single artefacts
// (bundle(), bundleBytes(), pass(), revocationSnapshot()), or follow what a server publishes over time
// (publishBundle(), revoke(), delta(), snapshot(), freshness(); the current bundle is `current`/`currentBytes`).
import { randomBytes } from 'node:crypto';
import {
  encodePublicKey,
  generateSigningKey,
  newLogId,
  issuePass,
  signBundle,
  signFreshness,
  signRevocations,
} from '../../protocol/index.js';
import type { SigningKey } from '../../protocol/index.js';
import type {
  Colour,
  ColourAction,
  FreshnessStatement,
  OpeningHours,
  RevocationDelta,
  RevokedEntry,
  Scope,
  TrustBundle,
} from '../../protocol/types.js';
import { T0_S } from './clock.js';

export { T0_S };
export const SITE = 'north';

export function randomId(): string {
  return randomBytes(16).toString('hex');
}

export interface PassOptions {
  colour?: Colour;
  notBefore?: number;
  expiresAt?: number;
  issuedAt?: number;
  scope?: Scope;
  key?: SigningKey;
  revocationId?: string;
}

export interface BundleOptions {
  version?: number;
  issuedAt?: number;
  actions?: Partial<Record<Colour, ColourAction>>;
  maxOfflineAgeSeconds?: number;
  sunset?: number;
  /** Opening hours in the policy (absent: none, always open). */
  hours?: OpeningHours;
}

export class Deployment {
  readonly root: SigningKey = generateSigningKey('root');
  readonly issuer: SigningKey = generateSigningKey('acme');
  readonly rootPublicKey = encodePublicKey(this.root.publicKey);
  /** The published bundle's version, bytes and content (publishBundle). */
  version = 0;
  currentBytes: Uint8Array = new Uint8Array(0);
  current!: TrustBundle;
  /** steps[i] holds the ids added to go from sequence i to i+1. */
  readonly steps: RevokedEntry[][] = [];
  /** The server history the sequence numbers belong to (a test may start a new one, as a restore does). */
  logId: string = newLogId();

  /** `issuedAt` dates what is published (default T0_S); the published bundle's maximum offline age. */
  constructor(
    readonly issuedAt: () => number = () => T0_S,
    readonly maxOfflineAgeSeconds = 48 * 3600,
  ) {
    this.publishBundle();
  }

  // --- single artefacts

  bundle(opts: BundleOptions = {}): TrustBundle {
    return {
      version: opts.version ?? 1,
      issuedAt: opts.issuedAt ?? T0_S - 3600,
      issuers: [
        {
          kid: this.issuer.kid,
          issuer: this.issuer.issuer,
          publicKey: encodePublicKey(this.issuer.publicKey),
          validFrom: T0_S - 86_400 * 365,
          validUntil: T0_S + 86_400 * 365,
          status: 'active',
        },
      ],
      revocationKeys: [],
      policy: {
        actions: { green: 'open', yellow: 'deny', red: 'deny', ...opts.actions },
        maxOfflineAgeSeconds: opts.maxOfflineAgeSeconds ?? 48 * 3600,
        ...(opts.hours ? { hours: opts.hours } : {}),
      },
      sunset: opts.sunset ?? T0_S + 86_400 * 180,
    };
  }

  bundleBytes(opts: BundleOptions = {}): Uint8Array {
    return signBundle(this.bundle(opts), this.root);
  }

  pass(opts: PassOptions = {}): { text: string; passId: string; revocationId: string; expiresAt: number } {
    const { text, claims } = issuePass(
      {
        colour: opts.colour ?? 'green',
        notBefore: opts.notBefore ?? T0_S - 3600,
        expiresAt: opts.expiresAt ?? T0_S + 30 * 86_400,
        issuedAt: opts.issuedAt ?? T0_S - 3600,
        scope: opts.scope ?? 'all',
        ...(opts.revocationId ? { revocationId: opts.revocationId } : {}),
      },
      opts.key ?? this.issuer,
    );
    return { text, passId: claims.passId, revocationId: claims.revocationId, expiresAt: claims.expiresAt };
  }

  revocationSnapshot(revoked: RevokedEntry[], toSeq = 1, issuedAt = T0_S - 1800): Uint8Array {
    return signRevocations(
      { kind: 'snapshot', logId: this.logId, fromSeq: 0, toSeq, issuedAt, added: revoked, removed: [] },
      this.root,
    );
  }

  // --- what a server publishes over time

  get seq(): number {
    return this.steps.length;
  }

  publishBundle(overrides: Partial<TrustBundle> = {}): Uint8Array {
    this.version += 1;
    const now = this.issuedAt();
    this.current = {
      version: this.version,
      issuedAt: now,
      issuers: [
        {
          kid: this.issuer.kid,
          issuer: this.issuer.issuer,
          publicKey: Buffer.from(this.issuer.publicKey).toString('base64url'),
          validFrom: T0_S - 86_400,
          validUntil: T0_S + 365 * 86_400,
          status: 'active',
        },
      ],
      revocationKeys: [],
      policy: {
        actions: { green: 'open', yellow: 'attention', red: 'deny' },
        maxOfflineAgeSeconds: this.maxOfflineAgeSeconds,
      },
      sunset: T0_S + 365 * 86_400,
      ...overrides,
    };
    this.currentBytes = signBundle(this.current, this.root);
    return this.currentBytes;
  }

  /** Sign a bundle of a given version without making it current (for rollback tests). */
  bundleOfVersion(version: number, key: SigningKey = this.root, overrides: Partial<TrustBundle> = {}): Uint8Array {
    return signBundle({ ...this.current, version, ...overrides }, key);
  }

  /** One new sequence step revoking `ids` (or `count` fresh random ids). Returns the ids. */
  revoke(ids: string[] | number, expiresAt = T0_S + 30 * 86_400): string[] {
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
}

/** A pass signed by a key the bundle does not know, and one whose signature was tampered with. */
export function foreignAndForged(d: Deployment): { unknownKey: string; forged: string } {
  const stranger = generateSigningKey('acme');
  const unknownKey = d.pass({ key: stranger }).text;
  // Same kid as the real issuer, other private key: the signature cannot verify.
  const impostor: SigningKey = { ...stranger, kid: d.issuer.kid, publicKey: d.issuer.publicKey };
  const forged = d.pass({ key: impostor }).text;
  return { unknownKey, forged };
}

/** Flip one byte near the end of a signed artefact (inside the signature). */
export function tamper(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes);
  const i = copy.length - 5;
  copy[i] = (copy[i] as number) ^ 0x01;
  return copy;
}
