// The data that the wire formats carry, as the rest of gatecode sees it once decoded.
// Times are whole seconds since the Unix epoch. Binary ids are lower-case hex in these types.

import type { ProtocolReason } from './errors.js';
import type { VerifiedPassCache } from './pass/cache.js';

export const COLOURS = ['green', 'yellow', 'red'] as const;
export type Colour = (typeof COLOURS)[number];

/** What a colour does at the gate, set by the deployment's policy. */
export type ColourAction = 'open' | 'attention' | 'deny';

/** A pass's scope: every site of its issuer, or a list of site ids. */
export type Scope = 'all' | readonly string[];

/** The claims of a pass. There is no field for anything personal, and a pass with any other claim is rejected. */
export interface PassClaims {
  readonly issuer: string;
  /** Opaque random pass id, ≥ 128 bits, hex. */
  readonly passId: string;
  /** Revocation id: random, signed, unrelated to the pass id and to the token bytes, hex. */
  readonly revocationId: string;
  readonly colour: Colour;
  readonly issuedAt: number;
  readonly notBefore: number;
  readonly expiresAt: number;
  readonly scope: Scope;
  /** Holder-bound passes only: the holder's raw Ed25519 public key, base64url (43 characters). The gate then wants
   * a fresh proof signed with it (protocol/holder/). Absent on printed (unbound) passes. */
  readonly holderKey?: string;
}

export type IssuerKeyStatus = 'active' | 'retired' | 'revoked';

export interface IssuerKeyEntry {
  /** Key id: derived from the public key (hex). */
  readonly kid: string;
  readonly issuer: string;
  /** Raw 32-byte Ed25519 public key, base64url. */
  readonly publicKey: string;
  readonly validFrom: number;
  readonly validUntil: number;
  readonly status: IssuerKeyStatus;
}

export interface Policy {
  readonly actions: Readonly<Record<Colour, ColourAction>>;
  /** How old the trust data may get without a sync before the device degrades every verdict to yellow. */
  readonly maxOfflineAgeSeconds: number;
  /** Opening hours (protocol/hours/); absent: always open. A bundle without the field is as before this field. */
  readonly hours?: OpeningHours;
}

/** Weekdays in ISO order, Monday first. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A range of local wall-clock minutes: `from` 0–1439, `to` 1–1440. `to <= from` runs past midnight into the next
 * day (22:00–06:00 is from 1320 to 360); the range belongs to the day it starts on.
 */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** A week of ranges and the dates (YYYY-MM-DD, ascending) on which the gate stays closed. */
export interface Schedule {
  readonly weekly: Readonly<Record<Weekday, readonly TimeRange[]>>;
  readonly holidays: readonly string[];
}

/** A schedule for one site (gates at that site) or one scope entry (passes that list it). */
export interface NamedSchedule extends Schedule {
  readonly name: string;
}

/** Opening hours: a default schedule, per-site and per-scope ones, all in one IANA time zone. */
export interface OpeningHours extends Schedule {
  readonly timeZone: string;
  /** Replace the default for gates at the named site; ascending by name. */
  readonly sites: readonly NamedSchedule[];
  /** Replace the site's or default schedule for passes whose scope lists the name; ascending by name. */
  readonly scopes: readonly NamedSchedule[];
}

export interface TrustBundle {
  /** Only ever rises; a device refuses a bundle whose version is not above the one it holds. */
  readonly version: number;
  readonly issuedAt: number;
  readonly issuers: readonly IssuerKeyEntry[];
  /** Keys (besides the root) allowed to sign revocation deltas: raw Ed25519 public keys, base64url, with kid. */
  readonly revocationKeys: readonly { readonly kid: string; readonly publicKey: string }[];
  readonly policy: Policy;
  /** After this moment every device refuses every pass and wipes its stores. Always present. */
  readonly sunset: number;
}

export interface RevokedEntry {
  readonly revocationId: string;
  /** The pass's expiry: after it the entry can be purged. */
  readonly expiresAt: number;
}

export interface RevocationDelta {
  /** `snapshot` replaces the whole list; `delta` applies added/removed on top of sequence `fromSeq`. */
  readonly kind: 'delta' | 'snapshot';
  /**
   * The server history the sequence numbers belong to: 16 random bytes (hex), fixed when a server's history starts
   * and new whenever it may have been rewound (a restore, a copy started elsewhere, a detected gap). A sequence
   * number means nothing without it.
   */
  readonly logId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly issuedAt: number;
  readonly added: readonly RevokedEntry[];
  readonly removed: readonly string[];
}

/** The server's signed word that at `issuedAt` its current trust data was this bundle version and sequence. */
export interface FreshnessStatement {
  readonly issuedAt: number;
  /** The server history `revocationSeq` belongs to (see RevocationDelta.logId). */
  readonly logId: string;
  readonly bundleVersion: number;
  readonly revocationSeq: number;
}

/** What verification needs besides the pass: the trust data and the device's view of the moment and place. */
export interface VerifyContext {
  readonly bundle: TrustBundle;
  /** Now, in whole seconds since the epoch (injected: the device's clock, floored by its clock floor). */
  readonly now: number;
  /** Tolerated clock difference, both ways, for not-before and expiry. Default 300 s. */
  readonly skewSeconds?: number;
  /** This gate's site id. Without it only passes scoped to all sites are accepted. */
  readonly site?: string;
  readonly isRevoked?: (revocationId: string) => boolean;
  /** Epoch seconds the trust data is known current at (signed); BUNDLE_STALE when now - trustDataAt > policy.maxOfflineAgeSeconds. */
  readonly trustDataAt?: number;
  /** Holder proofs: how far (seconds, both ways) a proof's time step may be from now. Default 30 s. */
  readonly proofWindowSeconds?: number;
  /** Holder proofs: true when this gate already accepted this pass id with this step or a later one (the device
   * remembers accepted steps; without it nothing is treated as replayed). Called only for an otherwise valid proof. */
  readonly proofReplayed?: (passId: string, step: number) => boolean;
  /** Pass texts whose signature already held under this bundle (protocol/pass/cache.ts): a repeated showing
   * skips the issuer signature check; every other check still runs. */
  readonly verifiedPasses?: VerifiedPassCache;
}

/** The outcome at the gate: a colour, why, what the policy says to do, and the verified claims (null on failure). */
export interface Verdict {
  readonly colour: Colour;
  readonly reason: 'OK' | ProtocolReason;
  readonly action: ColourAction;
  readonly claims: PassClaims | null;
}
