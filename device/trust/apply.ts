// Verify a trust bundle, revocation file or freshness statement against the pinned root and what the store holds,
// and only then apply it. Called only by the TrustKeeper (keeper.ts), inside one store transaction. A rejected
// artefact leaves the trust data untouched; the reason is logged and counted as `sync_reject:REASON`.
import { ProtocolError, isProtocolError } from '../../protocol/errors.js';
import { verifyBundle, verifyFreshness, verifyRevocations } from '../../protocol/index.js';
import type { FreshnessStatement, RevocationDelta, TrustBundle } from '../../protocol/types.js';
import { STATE_KEYS } from '../store/types.js';
import type { TrustLogger, TrustStore } from './types.js';

export type Artefact = 'bundle' | 'revocations' | 'freshness';

export type ApplyResult =
  | { readonly kind: 'applied'; readonly artefact: Artefact; readonly version: number; readonly issuedAt: number }
  | { readonly kind: 'unchanged'; readonly artefact: Artefact }
  | { readonly kind: 'rejected'; readonly artefact: Artefact; readonly reason: string };

export const REJECT_COUNTER_PREFIX = 'sync_reject:';

export interface ApplyContext {
  readonly store: TrustStore;
  readonly rootPublicKey: Uint8Array;
  /** Local wall clock, epoch seconds: recorded as the time the data was received. */
  readonly nowSeconds: number;
  readonly log: TrustLogger;
}

/** Verify (pinned root, version above the held one) then store a bundle. */
export function applyBundleBytes(ctx: ApplyContext, bytes: Uint8Array): ApplyResult {
  const held = ctx.store.getBundle();
  if (held && sameBytes(held.bytes, bytes)) return { kind: 'unchanged', artefact: 'bundle' };
  let bundle: TrustBundle;
  try {
    bundle = verifyBundle(bytes, ctx.rootPublicKey, held ? { minVersion: held.bundle.version } : {});
  } catch (err) {
    return reject(ctx, 'bundle', err);
  }
  try {
    ctx.store.putBundle(bytes, bundle, ctx.nowSeconds);
  } catch (err) {
    return reject(ctx, 'bundle', err);
  }
  ctx.store.raiseClockFloor(bundle.issuedAt);
  ctx.log.info({ artefact: 'bundle', version: bundle.version, issuers: bundle.issuers.length }, 'trust bundle applied');
  return { kind: 'applied', artefact: 'bundle', version: bundle.version, issuedAt: bundle.issuedAt };
}

/**
 * Verify (signed by the root or a revocation key of the held bundle; sequence continuing the held one) then
 * apply a delta or snapshot in one store transaction. A signed answer that merely repeats the held sequence
 * (an empty delta N→N, or a re-sent last step) is "unchanged"; an older sequence is rejected as a rollback.
 */
export function applyRevocationBytes(ctx: ApplyContext, bytes: Uint8Array): ApplyResult {
  const held = ctx.store.getBundle();
  if (!held) return reject(ctx, 'revocations', new ProtocolError('UNKNOWN_KEY', 'no trust bundle held yet'));
  const currentSeq = ctx.store.revocationSeq();
  const info = ctx.store.revocationInfo();
  // A store that never held a list may start on any history; one that did takes another history only whole.
  const logId = info.logId === null && currentSeq === 0 ? undefined : info.logId;
  let delta: RevocationDelta;
  try {
    delta = verifyRevocations(bytes, {
      rootPublicKey: ctx.rootPublicKey,
      bundle: held.bundle,
      currentSeq,
      logId,
      currentIssuedAt: info.issuedAt,
    });
  } catch (err) {
    if (
      isProtocolError(err) &&
      err.code === 'VERSION_ROLLBACK' &&
      repeatsHeld(ctx, bytes, held.bundle, currentSeq, info.logId)
    ) {
      return { kind: 'unchanged', artefact: 'revocations' };
    }
    return reject(ctx, 'revocations', err);
  }
  try {
    ctx.store.applyRevocations(delta, ctx.nowSeconds);
  } catch (err) {
    return reject(ctx, 'revocations', err);
  }
  // A freshness time recorded for another history's data says nothing about this list.
  if (info.logId !== null && delta.logId !== info.logId) ctx.store.setState(STATE_KEYS.freshAt, '0');
  ctx.store.raiseClockFloor(delta.issuedAt);
  ctx.log.info(
    {
      artefact: 'revocations',
      kind: delta.kind,
      logId: delta.logId,
      fromSeq: delta.fromSeq,
      toSeq: delta.toSeq,
      added: delta.added.length,
      removed: delta.removed.length,
    },
    'revocations applied',
  );
  return { kind: 'applied', artefact: 'revocations', version: delta.toSeq, issuedAt: delta.issuedAt };
}

/**
 * Verify a freshness statement (signed by the root or a revocation key of the held bundle) and, when it names
 * exactly the bundle version and revocation sequence held, record its issuedAt as the time the data is known
 * current (state `freshAt`; never lowered) and raise the clock floor to it. A statement for older data than held
 * is rejected (VERSION_ROLLBACK, a replay); one for newer data (the server changed between our polls) or not
 * newer than the recorded time is "unchanged" and records nothing.
 */
export function applyFreshnessBytes(ctx: ApplyContext, bytes: Uint8Array): ApplyResult {
  const held = ctx.store.getBundle();
  if (!held) return reject(ctx, 'freshness', new ProtocolError('UNKNOWN_KEY', 'no trust bundle held yet'));
  const currentSeq = ctx.store.revocationSeq();
  const logId = ctx.store.revocationInfo().logId;
  let stmt: FreshnessStatement;
  try {
    stmt = verifyFreshness(bytes, { rootPublicKey: ctx.rootPublicKey, bundle: held.bundle, currentSeq, logId });
  } catch (err) {
    return reject(ctx, 'freshness', err);
  }
  // Exactly the data held, history included: the same sequence number of another history is other data (no list
  // held at all is sequence 0 of every history).
  const sameHistory = stmt.logId === logId || (logId === null && currentSeq === 0);
  if (!sameHistory || stmt.bundleVersion !== held.bundle.version || stmt.revocationSeq !== currentSeq) {
    ctx.log.info(
      { artefact: 'freshness', bundleVersion: stmt.bundleVersion, revocationSeq: stmt.revocationSeq },
      !sameHistory
        ? 'freshness statement of another server history: not recorded'
        : 'freshness statement names newer data than held: not recorded',
    );
    return { kind: 'unchanged', artefact: 'freshness' };
  }
  const recorded = readFreshAt(ctx.store);
  if (recorded !== null && stmt.issuedAt <= recorded) return { kind: 'unchanged', artefact: 'freshness' };
  ctx.store.setState(STATE_KEYS.freshAt, String(stmt.issuedAt));
  ctx.store.raiseClockFloor(stmt.issuedAt);
  ctx.log.debug({ artefact: 'freshness', issuedAt: stmt.issuedAt }, 'freshness recorded');
  return { kind: 'applied', artefact: 'freshness', version: stmt.revocationSeq, issuedAt: stmt.issuedAt };
}

/** The recorded signed freshness time (epoch s), null when none was recorded. */
export function readFreshAt(store: Pick<TrustStore, 'getState'>): number | null {
  const t = Number(store.getState(STATE_KEYS.freshAt) ?? Number.NaN);
  return Number.isFinite(t) && t > 0 ? t : null;
}

/**
 * Epoch seconds at which the held trust data is known current, from signed data only: the recorded freshness
 * statement, else the older of the held bundle's and revocation list's signed issue times (each vouches only for
 * itself). Null without a bundle. Nothing unsigned (a 304, a heartbeat) moves it.
 */
export function signedDataAt(store: Pick<TrustStore, 'getState' | 'getBundle' | 'revocationInfo'>): number | null {
  const held = store.getBundle();
  if (!held) return null;
  const revIssuedAt = store.revocationInfo().issuedAt;
  const signedAt = revIssuedAt !== null ? Math.min(held.bundle.issuedAt, revIssuedAt) : held.bundle.issuedAt;
  return Math.max(signedAt, readFreshAt(store) ?? 0);
}

/** True when the bytes are authentic and end exactly at the held sequence of the held history. */
function repeatsHeld(
  ctx: ApplyContext,
  bytes: Uint8Array,
  bundle: TrustBundle,
  currentSeq: number,
  logId: string | null,
): boolean {
  try {
    const d = verifyRevocations(bytes, { rootPublicKey: ctx.rootPublicKey, bundle });
    return d.toSeq === currentSeq && d.logId === logId;
  } catch {
    return false;
  }
}

function reject(ctx: ApplyContext, artefact: Artefact, err: unknown): ApplyResult {
  const reason = isProtocolError(err) ? err.code : 'STORE';
  ctx.store.bump(REJECT_COUNTER_PREFIX + reason);
  const detail = isProtocolError(err)
    ? {}
    : { error: err instanceof Error ? err.name + ': ' + err.message : String(err) };
  ctx.log.warn({ artefact, reason, ...detail }, `${artefact} rejected`);
  return { kind: 'rejected', artefact, reason };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
