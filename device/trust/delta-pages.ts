// Delta pages on the device (docs/sync.md "Large deltas and delta pages"): a change too large for one delta document
// comes as a set of signed pages cut by revocation id. Page 0 is the answer of GET /revocations; the keeper verifies
// it, begins a delta stage, fetches the other pages PAGE_PARALLELISM at a time, verifies each (in the verifier's
// worker thread above 64 KiB), checks that it is of the set (checkPageSet) and writes it into the stage one short
// transaction per turn of the event loop; when every page is in and they tile the id space, one small transaction
// publishes the change. A page missing, foreign, tampered or rolled back undoes the stage: the list stays exactly as
// it was. Called only by the TrustKeeper (keeper.ts).
import { ProtocolError, isProtocolError } from '../../protocol/errors.js';
import { checkPageSet, type PageSetHead, type RevocationPage } from '../../protocol/index.js';
import { isStoreError } from '../store/errors.js';
import type { RevocationStage } from '../store/types.js';
import type { ApplyContext, ApplyResult } from './apply.js';
import { cleanup } from './delta-staged.js';
import { PartitionVerifier, type PageHead } from './partition-verify.js';
import { rejectRevocations, run, turnTaker, undo } from './partitions.js';

/** Pages fetched at once (and so at most held in memory at once, besides page 0's head). */
export const PAGE_PARALLELISM = 4;

/** Fetch page `page` (1 … pages − 1) of the set `set`; a failure (network, gone) is thrown as the cycle's error. */
export type FetchPage = (page: number, set: PageSetHead) => Promise<Uint8Array>;

/** A page's head as checkPageSet reads it (its entries are not kept). */
const asPage = (h: PageHead): RevocationPage => ({ ...h, added: [], removed: [] });

export async function applyDeltaPages(
  ctx: ApplyContext,
  first: Uint8Array,
  fetchPage: FetchPage,
): Promise<ApplyResult> {
  const held = ctx.store.getBundle();
  const fail = (err: unknown): ApplyResult => rejectRevocations(ctx, err, 'revocation delta pages rejected');
  if (!held) return fail(new ProtocolError('UNKNOWN_KEY', 'no trust bundle held yet'));
  const opts = {
    rootPublicKey: ctx.rootPublicKey,
    bundle: held.bundle,
    logId: ctx.store.revocationInfo().logId,
    currentSeq: ctx.store.revocationSeq(),
  };
  const verifier = new PartitionVerifier();
  let stage: RevocationStage | null = null;
  const inTurn = turnTaker();
  try {
    const p0 = await inTurn(() => verifier.verifyPage(first, opts));
    const head0 = asPage(p0.head);
    if (p0.head.page !== 0) throw new ProtocolError('PAGE_MISMATCH', 'the first answer is not page 0 of its set');
    const set: PageSetHead = {
      logId: p0.head.logId,
      fromSeq: p0.head.fromSeq,
      toSeq: p0.head.toSeq,
      issuedAt: p0.head.issuedAt,
    };
    const s = ctx.store.beginRevocationStage({ ...set, seq: set.toSeq, whole: false });
    stage = s;
    const heads: (RevocationPage | null)[] = new Array<RevocationPage | null>(p0.head.pages).fill(null);
    heads[0] = head0;
    let failed = false;
    // The first fetches go out before page 0 is written: a body arrives over many turns of the event loop, each of
    // which a write step would hold for a few milliseconds, and the verifier starts on the other pages the sooner.
    // Page 0 is then written while they are verified.
    const pending: number[] = Array.from({ length: p0.head.pages - 1 }, (_, k) => k + 1);
    const firstFetches: Promise<Uint8Array>[] = [];
    const worker = async (): Promise<void> => {
      for (let page = pending.shift(); page !== undefined && !failed; page = pending.shift()) {
        const fetching = fetchPage(page, set);
        if (firstFetches.length < PAGE_PARALLELISM) firstFetches.push(fetching);
        const bytes = await fetching;
        if (failed) return;
        const p = await inTurn(() => verifier.verifyPage(bytes, opts));
        const h = asPage(p.head);
        checkPageSet(head0, h);
        if (h.page !== page) throw new ProtocolError('PAGE_MISMATCH', `asked for page ${page}, got page ${h.page}`);
        heads[page] = h;
        await run(s.applyDelta(p.added, p.removed), inTurn, () => failed, s);
      }
    };
    const workers = Array.from({ length: Math.min(PAGE_PARALLELISM, pending.length) }, worker);
    const writePage0 = Promise.allSettled(firstFetches).then(() =>
      run(s.applyDelta(p0.added, p0.removed), inTurn, () => failed, s),
    );
    // Every worker has stopped writing before the stage is committed or undone.
    const settled = await Promise.allSettled(
      [writePage0, ...workers].map(async (w) => {
        try {
          await w;
        } catch (err) {
          failed = true;
          throw err;
        }
      }),
    );
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    // Every page in, each after the one before it: the set tiles the id space.
    for (let i = 1; i < heads.length; i++)
      checkPageSet(head0, heads[i] as RevocationPage, heads[i - 1] as RevocationPage);
    s.commit(ctx.nowSeconds, () => ctx.store.raiseClockFloor(set.issuedAt));
    stage = null;
    await verifier.close();
    await cleanup(ctx, s);
    ctx.log.info(
      { artefact: 'revocations', kind: 'delta-page', fromSeq: set.fromSeq, toSeq: set.toSeq, pages: heads.length },
      'revocation delta pages applied',
    );
    return { kind: 'applied', artefact: 'revocations', version: set.toSeq, issuedAt: set.issuedAt };
  } catch (err) {
    if (stage !== null) await undo(ctx, stage);
    await verifier.close();
    // A page that could not be fetched (network, the set gone) is the sync cycle's error, retried at the next poll.
    if (!isProtocolError(err) && !isStoreError(err)) throw err;
    return fail(err);
  }
}
