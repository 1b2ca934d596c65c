// Partitioned revocation sync on the device (docs/sync.md "Partitioned sync"): verify the manifest, begin a staged
// store update, then fetch the partitions it names as changed (bounded parallelism): each one is verified against
// the manifest, merged into the stage in short transactions with the event loop free between them, and dropped, so
// at most PARTITION_PARALLELISM partitions are in memory. One small transaction publishes the whole update; any
// failure undoes the stage and leaves the list exactly as it was. Called only by the TrustKeeper (keeper.ts), the one
// writer of trust data.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ProtocolError, isProtocolError } from '../../protocol/errors.js';
import { verifyManifest } from '../../protocol/index.js';
import { isStoreError } from '../store/errors.js';
import { STATE_KEYS, type RevocationStage } from '../store/types.js';
import { PartitionVerifier } from './partition-verify.js';
import { REJECT_COUNTER_PREFIX, type ApplyContext, type ApplyResult } from './apply.js';

/** Partitions fetched at once (and so at most held in memory at once). */
export const PARTITION_PARALLELISM = 4;

export type FetchPartition = (index: number) => Promise<Uint8Array>;

/**
 * One synchronous piece of work per turn of the event loop, whichever worker asks: four workers resuming in the
 * same turn would otherwise run four steps back to back, and a decision would wait for all of them.
 */
export function turnTaker(): <T>(fn: () => T) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => T): Promise<T> => {
    const mine = last.then(async () => {
      await nextTurn();
      return fn();
    });
    last = mine.catch(() => undefined);
    return mine;
  };
}

/** The stage's pacing (RevocationStage.pace); a failure of it only costs speed, so it never stops the steps. */
function paced(stage: RevocationStage | undefined): Promise<void> | null {
  try {
    return stage?.pace() ?? null;
  } catch {
    return null;
  }
}

/**
 * Run the steps of a stage one per turn (see turnTaker); stops early when `stop()` says so. With `stage`, each step
 * first asks it to pace the writes (RevocationStage.pace: checkpoints in a worker, a wait when the WAL is full).
 */
export async function run(
  steps: Iterable<number>,
  inTurn: <T>(fn: () => T) => Promise<T>,
  stop: () => boolean = () => false,
  stage?: RevocationStage,
): Promise<void> {
  const it = steps[Symbol.iterator]();
  while (!stop()) {
    const wait = paced(stage);
    if (wait) await wait;
    if (stop() || (await inTurn(() => it.next())).done) return;
  }
}

export async function applyPartitioned(
  ctx: ApplyContext,
  manifestBytes: Uint8Array,
  fetchPartition: FetchPartition,
): Promise<ApplyResult> {
  const held = ctx.store.getBundle();
  const fail = (err: unknown): ApplyResult => rejectRevocations(ctx, err, 'revocation partitions rejected');
  if (!held) return fail(new ProtocolError('UNKNOWN_KEY', 'no trust bundle held yet'));
  const info = ctx.store.revocationInfo();
  const currentSeq = ctx.store.revocationSeq();
  const signed = { rootPublicKey: ctx.rootPublicKey, bundle: held.bundle };
  let stage: RevocationStage | null = null;
  const verifier = new PartitionVerifier();
  const verify = verifier.verify.bind(verifier);
  try {
    const manifest = verifyManifest(manifestBytes, {
      ...signed,
      currentSeq,
      logId: info.logId,
      currentIssuedAt: info.issuedAt,
    });
    const sameHistory = info.logId === manifest.logId && currentSeq > 0;
    const heldSeq = sameHistory ? currentSeq : 0;
    const s = ctx.store.beginRevocationStage({
      logId: manifest.logId,
      seq: manifest.seq,
      issuedAt: manifest.issuedAt,
      prefixHex: manifest.prefixHex,
      whole: !sameHistory,
    });
    stage = s;
    // Another history (or none): every range is replaced, the ones the manifest names empty without a fetch.
    const wanted = manifest.partitions.flatMap((p, i) => ((sameHistory ? p.version > heldSeq : true) ? [i] : []));
    let next = 0;
    let failed = false;
    const inTurn = turnTaker();
    const worker = async (): Promise<void> => {
      while (next < wanted.length && !failed) {
        const index = wanted[next++] as number;
        const empty = !sameHistory && (manifest.partitions[index]?.count ?? 0) === 0;
        const bytes = empty ? null : await fetchPartition(index);
        // A small partition is verified in place: in a turn of its own. A large one goes to the verifier's thread.
        const verified =
          bytes === null
            ? null
            : await inTurn(() => ({ entries: verify(bytes, { ...signed, manifest, index, heldSeq }) }));
        const entries = verified === null ? [] : await verified.entries;
        if (failed) return;
        await run(s.replacePartition(index, entries), inTurn, () => failed, s);
      }
    };
    // Every worker has stopped writing before the stage is committed or undone.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(PARTITION_PARALLELISM, wanted.length) }, async () => {
        try {
          await worker();
        } catch (err) {
          failed = true;
          throw err;
        }
      }),
    );
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    s.commit(ctx.nowSeconds, () => {
      if (info.logId !== null && manifest.logId !== info.logId) ctx.store.setState(STATE_KEYS.freshAt, '0');
      ctx.store.raiseClockFloor(manifest.issuedAt);
    });
    stage = null;
    await verifier.close();
    try {
      await run(s.cleanup(), turnTaker());
    } catch (err) {
      // The removed rows are invisible already; the next stage that touches their range deletes them.
      ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'revocation cleanup stopped');
    }
    ctx.log.info(
      { artefact: 'revocations', kind: 'partitioned', toSeq: manifest.seq, partitions: wanted.length },
      'revocation partitions applied',
    );
    return { kind: 'applied', artefact: 'revocations', version: manifest.seq, issuedAt: manifest.issuedAt };
  } catch (err) {
    if (stage !== null) await undo(ctx, stage);
    await verifier.close();
    // A network failure while fetching is the sync cycle's error (retried at the next poll), not a rejection.
    if (!isProtocolError(err) && !isStoreError(err)) throw err;
    return fail(err);
  }
}

/** A refused staged update: counted as sync_reject:REASON (STORE for a store error) and logged. */
export function rejectRevocations(ctx: ApplyContext, err: unknown, message: string): ApplyResult {
  const reason = isProtocolError(err) ? err.code : 'STORE';
  ctx.store.bump(REJECT_COUNTER_PREFIX + reason);
  ctx.log.warn({ artefact: 'revocations', reason }, message);
  return { kind: 'rejected', artefact: 'revocations', reason };
}

/** Undo a stage; when that fails too, the store undoes it when it is next opened (and refuses a new stage). */
export async function undo(ctx: ApplyContext, stage: RevocationStage): Promise<void> {
  try {
    await run(stage.abort(), turnTaker(), undefined, stage);
  } catch (err) {
    ctx.log.error({ err: err instanceof Error ? err.message : String(err) }, 'revocation stage not undone');
  }
}
