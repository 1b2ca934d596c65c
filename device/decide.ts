// The decision step: pure data in, data out. It takes the protocol's verification outcome, the trust data's
// state (bundle, freshness, clock floor, sunset), this gate's place and the store's answers (revocation,
// anti-passback), and returns what the gate should do and why. Driving LEDs and relay is another step.
import { isProtocolError } from '../protocol/errors.js';
import type { ProtocolReason } from '../protocol/errors.js';
import { hoursOpenAt, verifyPass } from '../protocol/index.js';
import type { VerifiedPassCache } from '../protocol/pass/cache.js';
import type { Colour, ColourAction, PassClaims, TrustBundle } from '../protocol/types.js';
import { DEFAULT_PROOF_WINDOW_SECONDS } from '../protocol/holder/proof.js';
import type { ProofReplayGuard } from './holder-replay.js';
import type { DeviceReason } from './reasons.js';

export type Direction = 'in' | 'out';

/** What the LED ring shows for a decision. `attention` opens with a pattern staff can see; `yellow` is "see staff". */
export type DecisionPattern = 'green' | 'attention' | 'yellow' | 'red' | 'fault' | 'sunset';

export interface Decision {
  /** Epoch seconds at which it was decided. */
  readonly at: number;
  readonly colour: Colour;
  readonly reason: DeviceReason;
  readonly action: ColourAction;
  readonly opens: boolean;
  readonly pattern: DecisionPattern;
  /** Keyed hash of the pass id (never the id), null when the pass did not verify. */
  readonly passHash: string | null;
  /** The verified pass's expiry (bounds the anti-passback entry), null when it did not verify. */
  readonly passExpiresAt: number | null;
  /** This gate's direction; null for a gate used both ways (no anti-passback there). */
  readonly direction: Direction | null;
}

/** The trust data as the decision sees it. */
export interface TrustState {
  readonly bundle: TrustBundle | null;
  /** Epoch seconds the data is known fresh at: a verified freshness statement for exactly the data held, else the
   * older of the bundle's and revocation list's signed issue times. Never the time of an unsigned answer. */
  readonly trustDataAt: number | null;
  /** Epoch seconds: the clock may not be below this (newest signed data seen). */
  readonly clockFloor: number;
  /** Set once the signed sunset has passed (it stays set after the wipe removed the bundle). */
  readonly sunsetReached: boolean;
}

export interface GatePlace {
  readonly site: string;
  /** Anti-passback zone: passes entering here are remembered per zone. */
  readonly zone: string;
  /** 'in' (entry), 'out' (exit) or null (both ways: no anti-passback, passages counted as such). */
  readonly direction: Direction | null;
}

export interface DecideOptions {
  /** Clock skew tolerated for pass times and the clock floor, seconds. */
  readonly skewSeconds: number;
  /** Local overrides: may only make a colour's action stricter than the bundle's policy. */
  readonly localActions: Partial<Readonly<Record<Colour, ColourAction>>>;
  /** Local maximum offline age, seconds: the stricter (smaller) of this and the bundle's applies. */
  readonly localMaxOfflineAgeSeconds: number | null;
  /** Anti-passback window in seconds; 0 turns it off. */
  readonly passbackWindowSeconds: number;
  /** Holder-bound passes: how far a proof's time step may be from this gate's clock, seconds. Default 30. */
  readonly proofWindowSeconds?: number;
}

export interface DecideStore {
  isRevoked(revocationId: string): boolean;
  passHash(passId: string): string;
  passbackCheck(hash: string, zone: string, now: number): 'in' | 'out' | null;
}

export type VerifyOutcome =
  { readonly ok: true; readonly claims: PassClaims } | { readonly ok: false; readonly reason: ProtocolReason };

const STRICTNESS: Readonly<Record<ColourAction, number>> = { open: 0, attention: 1, deny: 2 };

/** The stricter of two actions (deny > attention > open). */
export function stricter(a: ColourAction, b: ColourAction | undefined): ColourAction {
  if (b === undefined) return a;
  return STRICTNESS[b] > STRICTNESS[a] ? b : a;
}

/** The pattern for a colour and its action: only green opens silently; anything else that opens shows attention. */
export function patternFor(colour: Colour, action: ColourAction): DecisionPattern {
  if (action === 'deny') return colour === 'red' ? 'red' : 'yellow';
  if (action === 'attention') return 'attention';
  return colour === 'green' ? 'green' : 'attention';
}

function refusal(now: number, place: GatePlace, reason: DeviceReason, pattern: DecisionPattern): Decision {
  return {
    at: now,
    colour: 'red',
    reason,
    action: 'deny',
    opens: false,
    pattern,
    passHash: null,
    passExpiresAt: null,
    direction: place.direction,
  };
}

/**
 * Checks made before a pass is read at all: a clock below the floor, a passed sunset, no trust data. Returns the
 * refusal, or null when the pass may be verified.
 */
export function precheck(trust: TrustState, now: number, place: GatePlace, opts: DecideOptions): Decision | null {
  if (now + opts.skewSeconds < trust.clockFloor) return refusal(now, place, 'CLOCK_ROLLBACK', 'fault');
  if (trust.sunsetReached || (trust.bundle !== null && now >= trust.bundle.sunset)) {
    return refusal(now, place, 'SUNSET', 'sunset');
  }
  if (trust.bundle === null) return refusal(now, place, 'NO_TRUST_DATA', 'red');
  return null;
}

/** Verify a pass text with the protocol, turning its typed errors into an outcome. Other errors propagate. */
export function verifyText(
  text: string,
  bundle: TrustBundle,
  now: number,
  site: string,
  skewSeconds: number,
  isRevoked: (revocationId: string) => boolean,
  proofs: {
    windowSeconds?: number | undefined;
    guard?: ProofReplayGuard | undefined;
    verifiedPasses?: VerifiedPassCache | undefined;
  } = {},
): VerifyOutcome {
  const proofWindowSeconds = proofs.windowSeconds ?? DEFAULT_PROOF_WINDOW_SECONDS;
  const guard = proofs.guard;
  const proofReplayed = guard
    ? (passId: string, step: number): boolean => guard.seen(passId, step, now, proofWindowSeconds)
    : undefined;
  try {
    const ctx = {
      bundle,
      now,
      skewSeconds,
      site,
      isRevoked,
      proofWindowSeconds,
      ...(proofReplayed ? { proofReplayed } : {}),
      ...(proofs.verifiedPasses ? { verifiedPasses: proofs.verifiedPasses } : {}),
    };
    return { ok: true, claims: verifyPass(text, ctx) };
  } catch (err) {
    if (isProtocolError(err)) return { ok: false, reason: err.code };
    throw err;
  }
}

/** Whether the trust data is older than the stricter of the bundle's and the local maximum offline age. */
export function isStale(trust: TrustState, now: number, opts: DecideOptions): boolean {
  if (trust.bundle === null) return true;
  let maxAge = trust.bundle.policy.maxOfflineAgeSeconds;
  if (opts.localMaxOfflineAgeSeconds !== null) maxAge = Math.min(maxAge, opts.localMaxOfflineAgeSeconds);
  return trust.trustDataAt === null || now - trust.trustDataAt > maxAge;
}

/** Turn a verification outcome into a decision. `trust.bundle` must be set (see `precheck`). */
export function decide(
  outcome: VerifyOutcome,
  trust: TrustState,
  now: number,
  place: GatePlace,
  opts: DecideOptions,
  store: Pick<DecideStore, 'passHash' | 'passbackCheck'>,
): Decision {
  const bundle = trust.bundle;
  if (bundle === null) return refusal(now, place, 'NO_TRUST_DATA', 'red');
  if (!outcome.ok) {
    return refusal(now, place, outcome.reason, outcome.reason === 'SUNSET' ? 'sunset' : 'red');
  }
  const claims = outcome.claims;
  const passHash = store.passHash(claims.passId);
  let colour: Colour = claims.colour;
  let reason: DeviceReason = 'OK';
  // Stale trust data never gives a silent green: green becomes yellow with the reason; red stays red.
  if (colour !== 'red' && isStale(trust, now, opts)) {
    colour = 'yellow';
    reason = 'BUNDLE_STALE';
  }
  const action = stricter(bundle.policy.actions[colour], opts.localActions[colour]);
  const base = { at: now, passHash, passExpiresAt: claims.expiresAt, direction: place.direction };
  if (action !== 'deny' && place.direction === 'in' && opts.passbackWindowSeconds > 0) {
    if (store.passbackCheck(passHash, place.zone, now) === 'in') {
      return { ...base, colour: 'red', reason: 'PASSBACK', action: 'deny', opens: false, pattern: 'red' };
    }
  }
  return { ...base, colour, reason, action, opens: action !== 'deny', pattern: patternFor(colour, action) };
}

export interface DecideInputs {
  readonly trust: TrustState;
  readonly place: GatePlace;
  readonly options: DecideOptions;
  readonly store: DecideStore;
  /** Whether the wall clock is trustworthy (device/time/trusted.ts); absent: trusted. */
  readonly clockTrusted?: boolean;
  /** The gate's memory of accepted holder proofs (the pipeline keeps one); without it no proof counts as replayed. */
  readonly proofGuard?: ProofReplayGuard;
  /** Pass texts whose issuer signature already held (the pipeline keeps one, emptied on every trust change). */
  readonly verifiedPasses?: VerifiedPassCache;
  /**
   * Lockdown: null (or absent) when there is none; else the scope entries that may still pass. Only a pass whose
   * scope lists one of them opens; everything else is red with LOCKDOWN.
   */
  readonly lockdown?: readonly string[] | null;
}

/** Under a lockdown, a pass that would open but names none of the lockdown scope entries is red, LOCKDOWN. */
export function withLockdown(d: Decision, scope: PassClaims['scope'], allowed: readonly string[]): Decision {
  if (!d.opens) return d;
  if (scope !== 'all' && scope.some((s) => allowed.includes(s))) return d;
  return { ...d, colour: 'red', reason: 'LOCKDOWN', action: 'deny', opens: false, pattern: 'red' };
}

/**
 * Opening hours (the bundle policy's `hours`): a pass that would open while the hours that apply to it are closed
 * is red, OUTSIDE_HOURS. Judged on the same clock as expiry. An exit gate (direction 'out') is never closed by the
 * hours: nobody is kept inside. No hours in the bundle: always open.
 */
export function withHours(d: Decision, bundle: TrustBundle, place: GatePlace, scope: PassClaims['scope']): Decision {
  const hours = bundle.policy.hours;
  if (!d.opens || hours === undefined || place.direction === 'out') return d;
  if (hoursOpenAt(hours, d.at, place.site, scope)) return d;
  return { ...d, colour: 'red', reason: 'OUTSIDE_HOURS', action: 'deny', opens: false, pattern: 'red' };
}

/**
 * An untrusted clock (no NTP, no RTC, no recent signed time) cannot tell an expired pass from a valid one: a
 * green becomes yellow with the reason CLOCK_UNTRUSTED and the yellow action. Nor can it tell a live holder code
 * from a screenshot: a proof outside the window by this clock (PROOF_STALE, PROOF_FUTURE) is refused as
 * CLOCK_UNTRUSTED with the yellow "see staff" pattern — the gate's clock is the suspect, not the phone. It never
 * opens: the window is what stops a screenshot. Other reds and yellows stay as they are.
 */
export function withUntrustedClock(d: Decision, bundle: TrustBundle, opts: DecideOptions): Decision {
  if (d.reason === 'PROOF_STALE' || d.reason === 'PROOF_FUTURE') {
    return { ...d, colour: 'yellow', reason: 'CLOCK_UNTRUSTED', action: 'deny', opens: false, pattern: 'yellow' };
  }
  if (d.colour !== 'green') return d;
  const action = stricter(bundle.policy.actions.yellow, opts.localActions.yellow);
  return {
    ...d,
    colour: 'yellow',
    reason: 'CLOCK_UNTRUSTED',
    action,
    opens: action !== 'deny',
    pattern: patternFor('yellow', action),
  };
}

export interface TimedDecision {
  readonly decision: Decision;
  /** Milliseconds spent in verification and in the decision proper. */
  readonly verifyMs: number;
  readonly decideMs: number;
}

/** The whole step for one text: precheck, verify, decide, with the time spent in each part. */
export function decideText(text: string, now: number, inputs: DecideInputs): TimedDecision {
  const t0 = performance.now();
  const refused = precheck(inputs.trust, now, inputs.place, inputs.options);
  if (refused !== null) return { decision: refused, verifyMs: 0, decideMs: performance.now() - t0 };
  const bundle = inputs.trust.bundle as TrustBundle;
  const outcome = verifyText(
    text,
    bundle,
    now,
    inputs.place.site,
    inputs.options.skewSeconds,
    (id) => inputs.store.isRevoked(id),
    {
      windowSeconds: inputs.options.proofWindowSeconds,
      guard: inputs.proofGuard,
      verifiedPasses: inputs.verifiedPasses,
    },
  );
  const t1 = performance.now();
  const decided = decide(outcome, inputs.trust, now, inputs.place, inputs.options, inputs.store);
  const timed = inputs.clockTrusted === false ? withUntrustedClock(decided, bundle, inputs.options) : decided;
  const lockdown = inputs.lockdown ?? null;
  // A lockdown names itself before the hours do: a closed gate under lockdown shows LOCKDOWN.
  const locked = lockdown !== null && outcome.ok ? withLockdown(timed, outcome.claims.scope, lockdown) : timed;
  const decision = outcome.ok ? withHours(locked, bundle, inputs.place, outcome.claims.scope) : locked;
  const t2 = performance.now();
  return { decision, verifyMs: t1 - t0, decideMs: t2 - t1 };
}
