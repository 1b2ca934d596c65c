// Verify a downloaded trust bundle or revocation file against the pinned root and what the store holds, and only
// then apply it. A rejected artefact leaves the trust data untouched; the reason is logged and counted as
// `sync_reject:REASON`.
import { ProtocolError, isProtocolError } from '../../protocol/errors.js';
import { verifyBundle, verifyRevocations } from '../../protocol/index.js';
import type { RevocationDelta, TrustBundle } from '../../protocol/types.js';
import type { SyncLogger, SyncStore } from './types.js';

export type Artefact = 'bundle' | 'revocations';

export type ApplyResult =
  | { readonly kind: 'applied'; readonly artefact: Artefact; readonly version: number; readonly issuedAt: number }
  | { readonly kind: 'unchanged'; readonly artefact: Artefact }
  | { readonly kind: 'rejected'; readonly artefact: Artefact; readonly reason: string };

export const REJECT_COUNTER_PREFIX = 'sync_reject:';

interface ApplyContext {
  readonly store: SyncStore;
  readonly rootPublicKey: Uint8Array;
  /** Local wall clock, epoch seconds: recorded as the time the data was received. */
  readonly nowSeconds: number;
  readonly log: SyncLogger;
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
  let delta: RevocationDelta;
  try {
    delta = verifyRevocations(bytes, { rootPublicKey: ctx.rootPublicKey, bundle: held.bundle, currentSeq });
  } catch (err) {
    if (isProtocolError(err) && err.code === 'VERSION_ROLLBACK' && repeatsHeld(ctx, bytes, held.bundle, currentSeq)) {
      return { kind: 'unchanged', artefact: 'revocations' };
    }
    return reject(ctx, 'revocations', err);
  }
  try {
    ctx.store.applyRevocations(delta, ctx.nowSeconds);
  } catch (err) {
    return reject(ctx, 'revocations', err);
  }
  ctx.store.raiseClockFloor(delta.issuedAt);
  ctx.log.info(
    {
      artefact: 'revocations',
      kind: delta.kind,
      fromSeq: delta.fromSeq,
      toSeq: delta.toSeq,
      added: delta.added.length,
      removed: delta.removed.length,
    },
    'revocations applied',
  );
  return { kind: 'applied', artefact: 'revocations', version: delta.toSeq, issuedAt: delta.issuedAt };
}

/** True when the bytes are authentic and end exactly at the held sequence (nothing new, nothing older). */
function repeatsHeld(ctx: ApplyContext, bytes: Uint8Array, bundle: TrustBundle, currentSeq: number): boolean {
  try {
    const d = verifyRevocations(bytes, { rootPublicKey: ctx.rootPublicKey, bundle });
    return d.toSeq === currentSeq;
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
