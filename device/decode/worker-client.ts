// The decoder as seen from the pipeline's thread: frames are checked here, copied into a transferable buffer and
// decoded in a worker thread, so the event loop (LEDs, GPIO, HTTP) never waits on a decode. If the worker dies,
// the pending decodes fail with WORKER_FAILED and the next decode starts a fresh worker.
import { Worker } from 'node:worker_threads';
import type { GreyFrame } from '../../hardware/camera/types.js';
import { checkFrame } from './local.js';
import { DecodeError, type DecodeHit, type DecoderConfig, type FrameDecoder } from './types.js';
import type { DecodeRequest, WorkerInit, WorkerMessage } from './worker-protocol.js';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

interface Pending {
  resolve(hit: DecodeHit | null): void;
  reject(err: DecodeError): void;
}

/** Start a worker and wait until its engine is loaded. */
function spawn(config: DecoderConfig): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: { config } satisfies WorkerInit });
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

export class WorkerDecoder implements FrameDecoder {
  private worker: Worker | null;
  private restarting: Promise<Worker> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly config: DecoderConfig,
    worker: Worker,
  ) {
    this.worker = this.attach(worker);
  }

  static async start(config: DecoderConfig): Promise<WorkerDecoder> {
    return new WorkerDecoder(config, await spawn(config));
  }

  private readonly onWorkerMessage = (msg: WorkerMessage): void => this.onMessage(msg);

  private attach(worker: Worker): Worker {
    worker.unref();
    worker.on('message', this.onWorkerMessage);
    worker.once('error', (err) => this.onDeath(worker, `decode worker crashed: ${err.message}`));
    worker.once('exit', (code) => this.onDeath(worker, `decode worker exited (code ${code})`));
    return worker;
  }

  private onMessage(msg: WorkerMessage): void {
    if (msg.type !== 'result' && msg.type !== 'failed') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (msg.type === 'result') p.resolve(msg.hit);
    else p.reject(new DecodeError(msg.code, msg.message));
  }

  private onDeath(worker: Worker, message: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    worker.off('message', this.onWorkerMessage);
    this.failAll(
      new DecodeError(this.closed ? 'CLOSED' : 'WORKER_FAILED', this.closed ? 'decoder is closed' : message),
    );
  }

  private failAll(err: DecodeError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  private async ensureWorker(): Promise<Worker> {
    if (this.worker) return this.worker;
    this.restarting ??= spawn(this.config).finally(() => {
      this.restarting = null;
    });
    const worker = await this.restarting;
    if (this.closed) {
      await worker.terminate();
      throw new DecodeError('CLOSED', 'decoder is closed');
    }
    if (!this.worker) this.worker = this.attach(worker);
    return this.worker;
  }

  async decode(frame: GreyFrame): Promise<DecodeHit | null> {
    if (this.closed) throw new DecodeError('CLOSED', 'decoder is closed');
    checkFrame(frame);
    const worker = this.worker ?? (await this.ensureWorker());
    // close() or a crash may have happened while a new worker was starting.
    if (this.closed) throw new DecodeError('CLOSED', 'decoder is closed');
    if (worker !== this.worker)
      throw new DecodeError('WORKER_FAILED', 'decode worker stopped before the frame was sent');
    // A private copy: the caller keeps its frame, and a view into a larger buffer never drags the rest along.
    const data = frame.data.slice().buffer;
    const id = this.nextId++;
    return new Promise<DecodeHit | null>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      const req: DecodeRequest = { id, width: frame.width, height: frame.height, data };
      worker.postMessage(req, [data]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new DecodeError('CLOSED', 'decoder is closed'));
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      worker.off('message', this.onWorkerMessage);
      await worker.terminate();
    }
  }
}
