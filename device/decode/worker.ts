// The decode worker thread: loads the engine once, then answers one decode request at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { checkFrame, ladderFor } from './local.js';
import { newLadderState, prepareLadder, runLadder } from './passes.js';
import { DecodeError } from './types.js';
import type { DecodeRequest, WorkerInit, WorkerMessage } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('device/decode/worker.ts must run as a worker thread');

function send(msg: WorkerMessage): void {
  port!.postMessage(msg);
}

function reasonOf(err: unknown): { code: DecodeError['code']; message: string } {
  if (err instanceof DecodeError) return { code: err.code, message: err.message };
  return { code: 'WORKER_FAILED', message: err instanceof Error ? err.message : String(err) };
}

async function start(): Promise<void> {
  const { config } = workerData as WorkerInit;
  let ladder;
  try {
    ladder = ladderFor(config);
    await prepareLadder(ladder);
  } catch (err) {
    send({ type: 'init-failed', ...reasonOf(err) });
    return;
  }
  const active = ladder;
  const state = newLadderState();
  // Requests are handled strictly in order: the next one starts when the previous one has answered.
  let queue = Promise.resolve();
  port!.on('message', (req: DecodeRequest) => {
    queue = queue.then(async () => {
      try {
        const frame = { width: req.width, height: req.height, data: new Uint8Array(req.data), timestamp: 0, seq: 0 };
        checkFrame(frame);
        send({ type: 'result', id: req.id, hit: await runLadder(active, frame, undefined, state) });
      } catch (err) {
        send({ type: 'failed', id: req.id, ...reasonOf(err) });
      }
    });
  });
  send({ type: 'ready' });
}

await start();
