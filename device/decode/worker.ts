// A decode worker thread: loads the engine once, then runs one job at a time as the pool sends them.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { checkFrame, ladderFor } from './local.js';
import { prepareLadder, runEscalation, runFirstPass } from './passes.js';
import { DecodeError } from './types.js';
import type { DecodeRequest, WorkerInit, WorkerMessage } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('device/decode/worker.ts must run as a worker thread');

function send(msg: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function reasonOf(err: unknown): { code: DecodeError['code']; message: string } {
  if (err instanceof DecodeError) return { code: err.code, message: err.message };
  return { code: 'WORKER_FAILED', message: err instanceof Error ? err.message : String(err) };
}

async function start(): Promise<void> {
  const { config, nice } = workerData as WorkerInit;
  if (nice > 0) {
    // On Linux the nice value is per thread: 0 names this worker's thread alone. Elsewhere it may name the whole
    // process, so it is left alone there; and a system that refuses it only loses the preference. Relative to the
    // nice this thread inherited: under the unit's Nice=-10 an escalation worker runs at 0, still below the gate's
    // other threads but not below the rest of the system.
    try {
      if (process.platform === 'linux') os.setPriority(0, Math.min(19, os.getPriority(0) + nice));
    } catch {
      /* not permitted: the escalations run at the same priority */
    }
  }
  let ladder;
  try {
    ladder = ladderFor(config);
    await prepareLadder(ladder);
  } catch (err) {
    send({ type: 'init-failed', ...reasonOf(err) });
    return;
  }
  const active = ladder;
  // Jobs are handled strictly in order: the next one starts when the previous one has answered.
  let queue = Promise.resolve();
  port!.on('message', (req: DecodeRequest) => {
    queue = queue.then(async () => {
      try {
        const t0 = performance.now();
        const frame = { width: req.width, height: req.height, data: new Uint8Array(req.data), timestamp: 0, seq: 0 };
        checkFrame(frame);
        const hit =
          req.kind === 'first'
            ? await runFirstPass(active, frame)
            : await runEscalation(active, frame, req.plan, req.budgetMs);
        // The plane goes back (moved, not copied): the pool escalates a missed frame on it, or reuses it.
        send({ type: 'result', id: req.id, hit, ms: performance.now() - t0, data: req.data }, [req.data]);
      } catch (err) {
        send({ type: 'failed', id: req.id, ...reasonOf(err) });
      }
    });
  });
  send({ type: 'ready' });
}

await start();
