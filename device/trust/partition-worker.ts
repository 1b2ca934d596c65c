// The partition verifier's worker thread (partition-verify.ts): verifies one partition document against its
// manifest and answers with its entries packed (one string of hex ids, their byte lengths, their expiries), so the
// thread that decides never spends the tens of milliseconds a large partition takes, nor builds its objects.
import { parentPort } from 'node:worker_threads';
import { isProtocolError } from '../../protocol/errors.js';
import { verifyPartition } from '../../protocol/index.js';
import type { VerifyJob, VerifyReply } from './partition-verify.js';

const port = parentPort;
if (port === null) throw new Error('partition-worker: not in a worker thread');
port.on('message', (job: VerifyJob) => {
  let reply: VerifyReply;
  try {
    const p = verifyPartition(new Uint8Array(job.bytes), job.opts);
    const lengths = new Uint8Array(p.entries.length);
    const expiries = new Float64Array(p.entries.length);
    let ids = '';
    p.entries.forEach((e, k) => {
      ids += e.revocationId;
      lengths[k] = e.revocationId.length / 2;
      expiries[k] = e.expiresAt;
    });
    reply = { id: job.id, ok: true, ids, lengths, expiries };
    port.postMessage(reply, [lengths.buffer, expiries.buffer]);
    return;
  } catch (err) {
    reply = isProtocolError(err)
      ? { id: job.id, ok: false, code: err.code, message: err.message }
      : { id: job.id, ok: false, code: null, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
