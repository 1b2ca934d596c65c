// Partitioned revocation sync on the device (docs/sync.md "Partitioned sync"): verify the manifest, fetch the
// partitions it names as changed (bounded parallelism), verify each against the manifest, and apply them all in
// one store transaction. Called only by the TrustKeeper (keeper.ts), the one writer of trust data.
import { ProtocolError, isProtocolError } from '../../protocol/errors.js';
import { verifyManifest, verifyPartition, type RevocationPartition } from '../../protocol/index.js';
import { isStoreError } from '../store/errors.js';
import { STATE_KEYS } from '../store/types.js';
import { REJECT_COUNTER_PREFIX, type ApplyContext, type ApplyResult } from './apply.js';

/** Partitions fetched at once. */
export const PARTITION_PARALLELISM = 4;

export type FetchPartition = (index: number) => Promise<Uint8Array>;

export async function applyPartitioned(
  ctx: ApplyContext,
  manifestBytes: Uint8Array,
  fetchPartition: FetchPartition,
  transaction: <T>(fn: () => T) => T,
): Promise<ApplyResult> {
  const held = ctx.store.getBundle();
  const fail = (err: unknown): ApplyResult => {
    const reason = isProtocolError(err) ? err.code : 'STORE';
    ctx.store.bump(REJECT_COUNTER_PREFIX + reason);
    ctx.log.warn({ artefact: 'revocations', reason }, 'revocation partitions rejected');
    return { kind: 'rejected', artefact: 'revocations', reason };
  };
  if (!held) return fail(new ProtocolError('UNKNOWN_KEY', 'no trust bundle held yet'));
  const info = ctx.store.revocationInfo();
  const currentSeq = ctx.store.revocationSeq();
  const signed = { rootPublicKey: ctx.rootPublicKey, bundle: held.bundle };
  try {
    const manifest = verifyManifest(manifestBytes, {
      ...signed,
      currentSeq,
      logId: info.logId,
      currentIssuedAt: info.issuedAt,
    });
    const sameHistory = info.logId === manifest.logId && currentSeq > 0;
    const heldSeq = sameHistory ? currentSeq : 0;
    const wanted = manifest.partitions.flatMap((p, i) =>
      (sameHistory ? p.version > heldSeq : p.count > 0) ? [i] : [],
    );
    const partitions: RevocationPartition[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < wanted.length) {
        const index = wanted[next++] as number;
        const bytes = await fetchPartition(index);
        partitions.push(verifyPartition(bytes, { ...signed, manifest, index, heldSeq }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTITION_PARALLELISM, wanted.length) }, worker));
    transaction(() => {
      ctx.store.applyRevocationPartitions(
        {
          logId: manifest.logId,
          seq: manifest.seq,
          issuedAt: manifest.issuedAt,
          prefixHex: manifest.prefixHex,
          whole: !sameHistory,
          partitions,
        },
        ctx.nowSeconds,
      );
      if (info.logId !== null && manifest.logId !== info.logId) ctx.store.setState(STATE_KEYS.freshAt, '0');
      ctx.store.raiseClockFloor(manifest.issuedAt);
    });
    ctx.log.info(
      { artefact: 'revocations', kind: 'partitioned', toSeq: manifest.seq, partitions: partitions.length },
      'revocation partitions applied',
    );
    return { kind: 'applied', artefact: 'revocations', version: manifest.seq, issuedAt: manifest.issuedAt };
  } catch (err) {
    // A network failure while fetching is the sync cycle's error (retried at the next poll), not a rejection.
    if (!isProtocolError(err) && !isStoreError(err)) throw err;
    return fail(err);
  }
}
