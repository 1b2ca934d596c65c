// WAL checkpoints in a worker thread while a driver paces a staged revocation update (docs/sync.md "Checkpoints
// during a staged update"). With SQLite's automatic checkpoint, the commit that takes the WAL past 1,000 pages
// copies them into the database file and syncs it, on the writer's thread: for a million-id change into a list of
// ten million, a third of the stage's time and steps of 30 ms and more. While a stage is paced, the store's
// connection leaves checkpoints to a second connection in a worker thread: one starts whenever the WAL passes
// `startBytes` and none is running, and past `capBytes` the writer waits (asynchronously: decisions go on) until one
// has copied every frame, so the next commit starts the WAL over and it stays near the cap. When the stage ends the
// worker runs a last checkpoint and exits, and the automatic checkpoint is back. A worker that fails to start or to
// checkpoint puts the automatic checkpoint back at once: slower, never wrong (the WAL's content is the same).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

export interface WalPacing {
  /**
   * A checkpoint starts when the WAL file is at least this large (SQLite's automatic one: 1,000 pages); it is also
   * the size the WAL file is cut back to when it starts over, so the file's size tells how much it holds.
   */
  readonly startBytes: number;
  /** The writer waits for a whole checkpoint above this size (the WAL's largest size during a stage, about). */
  readonly capBytes: number;
}

export const WAL_PACING: WalPacing = { startBytes: 4 * 1024 * 1024, capBytes: 16 * 1024 * 1024 };

/** SQLite's automatic checkpoint, in pages: what the store's connection runs with outside a paced stage. */
export const AUTOCHECKPOINT_PAGES = 1000;
/** The size the WAL file is cut back to when it starts over, outside a paced stage (about the automatic one). */
export const JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

/** The checkpointer that owns a connection's automatic checkpoint now (one that is still finishing does not). */
const owners = new WeakMap<Database.Database, WalCheckpointer>();

/** What the worker answers for each checkpoint: SQLite's figures, or why it failed. */
type Reply = { busy: number; log: number; checkpointed: number } | { error: string };

// Plain JavaScript (an eval'd worker needs no loader): its own connection, a PASSIVE checkpoint per message (it
// never waits for the writer or blocks readers), and on 'stop' a last one before it closes.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma('busy_timeout = 1000');
} catch (err) {
  parentPort.postMessage({ error: String(err && err.message) });
}
parentPort.on('message', (m) => {
  if (!db) return;
  let reply;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    reply = { busy: r.busy, log: r.log, checkpointed: r.checkpointed };
  } catch (err) {
    reply = { error: String(err && err.message) };
  }
  if (m === 'stop') {
    db.close();
    parentPort.close();
  } else parentPort.postMessage(reply);
});
`;

export class WalCheckpointer {
  private worker: Worker | null;
  private readonly walFile: string;
  private running = false;
  private ended = false;
  private waiters: (() => void)[] = [];
  /** Checkpoints the worker has run (tests and the bench read it). */
  checkpoints = 0;
  /** The largest WAL size pace() saw. */
  largestWal = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly pacing: WalPacing = WAL_PACING,
    /** The better-sqlite3 module the worker loads (tests give a missing one). */
    driver = createRequire(import.meta.url).resolve('better-sqlite3'),
  ) {
    this.walFile = `${db.name}-wal`;
    owners.set(db, this);
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${pacing.startBytes}`);
    this.worker = new Worker(WORKER, { eval: true, workerData: { file: db.name, driver } });
    // Held open only while a checkpoint runs: a store left open must not keep the process alive.
    this.worker.unref();
    this.worker.on('message', (r: Reply) => this.answered(r));
    this.worker.on('error', () => this.finish());
    // After 'stop' (its last checkpoint done), or an end of its own: either way the automatic checkpoint is back.
    this.worker.on('exit', () => this.finish());
  }

  /** False once the worker failed or the stage ended: the automatic checkpoint is back. */
  get active(): boolean {
    return this.worker !== null && !this.ended;
  }

  /**
   * Between two steps of the stage: start a checkpoint if the WAL has grown; a promise when the writer should wait
   * for a whole one (the WAL is past the cap), else null.
   */
  pace(): Promise<void> | null {
    if (!this.active) return null;
    const size = this.walSize();
    if (size > this.largestWal) this.largestWal = size;
    if (size >= this.pacing.startBytes) this.start();
    if (size < this.pacing.capBytes) return null;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** The stage ended: a last checkpoint in the worker, then the automatic checkpoint is back. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    const w = this.worker;
    if (w === null) return;
    w.ref();
    w.postMessage('stop');
  }

  /** The store closes: the worker ends now (the store's own close checkpoints what is left). */
  close(): void {
    this.ended = true;
    const w = this.worker;
    this.worker = null;
    this.release();
    if (w !== null) void w.terminate();
  }

  private start(): void {
    if (this.running || this.worker === null) return;
    this.running = true;
    this.worker.ref();
    this.worker.postMessage('checkpoint');
  }

  private answered(r: Reply): void {
    this.running = false;
    this.worker?.unref();
    if ('error' in r) {
      this.finish();
      return;
    }
    this.checkpoints++;
    // Whole (every frame copied): the next commit starts the WAL over. Otherwise (frames written meanwhile) again.
    if (r.log === r.checkpointed) this.wake();
    else if (this.waiters.length > 0) this.start();
  }

  private finish(): void {
    const w = this.worker;
    this.worker = null;
    this.running = false;
    this.release();
    if (w !== null) void w.terminate();
  }

  /** Automatic checkpoints back on the store's connection; nobody waits any more. */
  private release(): void {
    if (owners.get(this.db) === this) {
      owners.delete(this.db);
      if (this.db.open) {
        this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
        this.db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
      }
    }
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }

  private walSize(): number {
    return fs.statSync(this.walFile, { throwIfNoEntry: false })?.size ?? 0;
  }
}
