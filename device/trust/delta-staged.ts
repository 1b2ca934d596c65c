// A large revocation delta applied through a staged store update (docs/sync.md "Large deltas and delta pages"): the
// document is verified in the verifier's worker thread, which hands its entries back sorted by id; the store writes
// them under a new generation one short transaction per turn of the event loop, so decisions go on (with the list
// before the delta) while it runs, and one small transaction publishes it. A delta of up to STAGED_DELTA_BYTES keeps
// the one-transaction path (apply.ts): verifying and applying ~2,500 entries in place costs a few milliseconds, less
// than the worker's round trip. Called only by the TrustKeeper (keeper.ts).
import { ProtocolError, isProtocolError } from '../../protocol/errors.js';
import { isStoreError } from '../store/errors.js';
import type { RevocationStage } from '../store/types.js';
import type { ApplyContext, ApplyResult } from './apply.js';
import { DeltaRefused, PartitionVerifier } from './partition-verify.js';
import { rejectRevocations, run, turnTaker, undo } from './partitions.js';

/** Delta documents above this size (about 2,500 entries) go through a staged update. */
export const STAGED_DELTA_BYTES = 64 * 1024;

/**
 * Verify and apply a large delta through a stage. 'snapshot' when the document is a (valid) snapshot: the caller
 * applies it the one-transaction way. A failure undoes the stage: the list stays exactly as it was.
 */
export async function applyDeltaStaged(ctx: ApplyContext, bytes: Uint8Array): Promise<ApplyResult | 'snapshot'> {
  const held = ctx.store.getBundle();
  const fail = (err: unknown): ApplyResult => rejectRevocations(ctx, err, 'revocations rejected');
  if (!held) return fail(new ProtocolError('UNKNOWN_KEY', 'no trust bundle held yet'));
  const currentSeq = ctx.store.revocationSeq();
  const info = ctx.store.revocationInfo();
  // A store that never held a list may start on any history; one that did takes another history only whole.
  const logId = info.logId === null && currentSeq === 0 ? undefined : info.logId;
  const verifier = new PartitionVerifier();
  let stage: RevocationStage | null = null;
  try {
    const d = await verifier.verifyDelta(bytes, {
      rootPublicKey: ctx.rootPublicKey,
      bundle: held.bundle,
      currentSeq,
      logId,
      currentIssuedAt: info.issuedAt,
    });
    await verifier.close();
    if (d.head.kind === 'snapshot') return 'snapshot';
    const s = ctx.store.beginRevocationStage({
      logId: d.head.logId,
      seq: d.head.toSeq,
      issuedAt: d.head.issuedAt,
      fromSeq: d.head.fromSeq,
      whole: false,
    });
    stage = s;
    await run(s.applyDelta(d.added, d.removed), turnTaker(), undefined, s);
    s.commit(ctx.nowSeconds, () => ctx.store.raiseClockFloor(d.head.issuedAt));
    stage = null;
    await cleanup(ctx, s);
    ctx.log.info(
      {
        artefact: 'revocations',
        kind: 'delta',
        staged: true,
        logId: d.head.logId,
        fromSeq: d.head.fromSeq,
        toSeq: d.head.toSeq,
        added: d.added.length,
        removed: d.removed.length,
      },
      'revocations applied',
    );
    return { kind: 'applied', artefact: 'revocations', version: d.head.toSeq, issuedAt: d.head.issuedAt };
  } catch (err) {
    if (stage !== null) await undo(ctx, stage);
    await verifier.close();
    // An authentic answer that merely repeats the held sequence is "unchanged", as on the one-transaction path.
    if (err instanceof DeltaRefused && err.endsAt?.toSeq === currentSeq && err.endsAt.logId === info.logId)
      return { kind: 'unchanged', artefact: 'revocations' };
    if (!isProtocolError(err) && !isStoreError(err)) throw err;
    return fail(err);
  }
}

/** After commit: the removed rows deleted (invisible already); a failure only leaves them for a later stage. */
export async function cleanup(ctx: ApplyContext, stage: RevocationStage): Promise<void> {
  try {
    await run(stage.cleanup(), turnTaker());
  } catch (err) {
    ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'revocation cleanup stopped');
  }
}
