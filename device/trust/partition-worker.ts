// The partition verifier's worker thread (partition-verify.ts): verifies one partition document against its
// manifest, or one large delta document, and answers with its entries packed (one string of hex ids, their byte
// lengths, their expiries; a delta's sorted by id), so the thread that decides never spends the tens of milliseconds
// a large document takes, nor builds its objects.
import { parentPort } from 'node:worker_threads';
import { isProtocolError } from '../../protocol/errors.js';
import { verifyPartition, verifyRevocationPage } from '../../protocol/index.js';
import { verifyRevocations } from '../../protocol/revocations.js';
import type { RevokedEntry } from '../../protocol/types.js';
import type { PackedIdList, VerifyJob, VerifyReply } from './partition-verify.js';

const port = parentPort;
if (port === null) throw new Error('partition-worker: not in a worker thread');

function packIds(ids: readonly string[]): PackedIdList {
  return { ids: ids.join(''), lengths: Uint8Array.from(ids, (id) => id.length / 2) };
}

function packEntries(entries: readonly RevokedEntry[]): { list: PackedIdList; expiries: Float64Array } {
  return {
    list: packIds(entries.map((e) => e.revocationId)),
    expiries: Float64Array.from(entries, (e) => e.expiresAt),
  };
}

const byId = (a: RevokedEntry, b: RevokedEntry): number =>
  a.revocationId < b.revocationId ? -1 : a.revocationId > b.revocationId ? 1 : 0;

function handle(job: VerifyJob): { reply: VerifyReply; transfer: ArrayBuffer[] } {
  if (job.kind === 'partition') {
    const p = verifyPartition(new Uint8Array(job.bytes), job.opts);
    const { list, expiries } = packEntries(p.entries);
    return {
      reply: { id: job.id, ok: true, ...list, expiries },
      transfer: [list.lengths.buffer as ArrayBuffer, expiries.buffer as ArrayBuffer],
    };
  }
  if (job.kind === 'page') {
    // A page's ids ascend already (verifyRevocationPage checks it).
    const { added: entries, removed: ids, ...head } = verifyRevocationPage(new Uint8Array(job.bytes), job.opts);
    const added = packEntries(entries);
    const removed = packIds(ids);
    return {
      reply: { id: job.id, ok: true, head, added: added.list, expiries: added.expiries, removed },
      transfer: [added.list.lengths.buffer as ArrayBuffer, added.expiries.buffer as ArrayBuffer],
    };
  }
  let d;
  try {
    d = verifyRevocations(new Uint8Array(job.bytes), job.opts);
  } catch (err) {
    if (!isProtocolError(err) || err.code !== 'VERSION_ROLLBACK') throw err;
    // Not newer than held: where does it end (when authentic)? A repeat of the held sequence is "unchanged".
    let endsAt: { toSeq: number; logId: string } | null;
    try {
      const any = verifyRevocations(new Uint8Array(job.bytes), {
        rootPublicKey: job.opts.rootPublicKey,
        bundle: job.opts.bundle,
      });
      endsAt = { toSeq: any.toSeq, logId: any.logId };
    } catch {
      endsAt = null;
    }
    return { reply: { id: job.id, ok: false, code: err.code, message: err.message, endsAt }, transfer: [] };
  }
  const added = packEntries([...d.added].sort(byId));
  const removed = packIds([...d.removed].sort());
  const head = { kind: d.kind, logId: d.logId, fromSeq: d.fromSeq, toSeq: d.toSeq, issuedAt: d.issuedAt };
  return {
    reply: { id: job.id, ok: true, head, added: added.list, expiries: added.expiries, removed },
    transfer: [
      added.list.lengths.buffer as ArrayBuffer,
      added.expiries.buffer as ArrayBuffer,
      removed.lengths.buffer as ArrayBuffer,
    ],
  };
}

port.on('message', (job: VerifyJob) => {
  let out: { reply: VerifyReply; transfer: ArrayBuffer[] };
  try {
    out = handle(job);
  } catch (err) {
    const reply: VerifyReply = isProtocolError(err)
      ? { id: job.id, ok: false, code: err.code, message: err.message }
      : { id: job.id, ok: false, code: null, message: err instanceof Error ? err.message : String(err) };
    out = { reply, transfer: [] };
  }
  port.postMessage(out.reply, out.transfer);
});
