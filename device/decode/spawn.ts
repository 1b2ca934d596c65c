// Starting one decode worker thread and waiting until its engine is loaded.
import { Worker } from 'node:worker_threads';
import { DecodeError, type DecoderConfig } from './types.js';
import type { WorkerInit, WorkerMessage } from './worker-protocol.js';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

/** Start a worker; resolves once its engine is loaded, rejects with ENGINE_INIT / BAD_CONFIG / WORKER_FAILED. */
export function spawnDecodeWorker(config: DecoderConfig, nice = 0): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: { config, nice } satisfies WorkerInit });
    // Only our own listeners are ever removed: Worker keeps internal ones that removeAllListeners() would break.
    const detach = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const fail = (err: DecodeError): void => {
      detach();
      void worker.terminate();
      reject(err);
    };
    const onMessage = (msg: WorkerMessage): void => {
      if (msg.type === 'ready') {
        detach();
        resolve(worker);
      } else if (msg.type === 'init-failed') {
        fail(new DecodeError(msg.code, msg.message));
      } else {
        fail(new DecodeError('WORKER_FAILED', `unexpected first message "${msg.type}" from the decode worker`));
      }
    };
    const onError = (err: Error): void =>
      fail(new DecodeError('WORKER_FAILED', `decode worker failed to start: ${err.message}`));
    const onExit = (code: number): void =>
      fail(new DecodeError('WORKER_FAILED', `decode worker exited during start (code ${code})`));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
