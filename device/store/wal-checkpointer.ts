// WAL checkpoints in a worker thread while a driver paces a staged revocation update (docs/sync.md "Checkpoints
// during a staged update"). With SQLite's automatic checkpoint, the commit that takes the WAL past 1,000 pages
// copies them into the database file and syncs it, on the writer's thread: for a million-id change into a list of
// ten million, a third of the stage's time and steps of 30 ms and more. While a stage is paced, the store's
// connection leaves checkpoints to a second connection in a worker thread (started at the first paced stage, ended
// with the store): a PASSIVE checkpoint whenever the WAL passes `startBytes` and none is running; past `capBytes`
// the writer waits (asynchronously: decisions go on) until every frame is copied and the worker has started the WAL
// over (TRUNCATE), so it stays near the cap. A reader that keeps the WAL from being copied or started over holds the
// writer at most WAIT_MAX_MS, after which the WAL grows as it would have without pacing. When the stage ends the
// worker runs a last checkpoint and the automatic checkpoint is back. A worker that fails to start or to checkpoint
// puts the automatic checkpoint back at once: slower, never wrong (the WAL's content is the same). The store's own
// truncating checkpoints (wipe, purge, close) hold the worker off while they run (quiet()).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

export interface WalPacing {
  /** A checkpoint starts when the WAL file is at least this large (SQLite's automatic one: 1,000 pages). */
  readonly startBytes: number;
  /** The writer waits for the WAL to be copied and started over above this size. */
  readonly capBytes: number;
}

export const WAL_PACING: WalPacing = { startBytes: 4 * 1024 * 1024, capBytes: 32 * 1024 * 1024 };

/** SQLite's automatic checkpoint, in pages: what the store's connection runs with outside a paced stage. */
export const AUTOCHECKPOINT_PAGES = 1000;
/** The size the WAL file is cut back to when it starts over, outside a paced stage. */
export const JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;
/** The longest a writer waits for the worker (a reader can keep the WAL from being copied; the WAL then grows). */
export const WAIT_MAX_MS = 1000;
/** Before another PASSIVE checkpoint when the last one could not copy every frame. */
const RETRY_MS = 10;
/** The longest quiet() waits for a checkpoint under way in the worker. */
const QUIET_MAX_MS = 5000;

/** What the worker answers: SQLite's figures (busy 1 and -1 when another checkpoint ran), or why it failed. */
type Reply = { busy: number; log: number; checkpointed: number } | { error: string };
type Kind = 'checkpoint' | 'truncate' | 'last';

// Plain JavaScript (an eval'd worker needs no loader). flags[0] is 1 while a checkpoint runs, flags[1] is 1 while the
// store's connection runs one of its own (quiet()): set first, then checked, so either side sees the other.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const flags = new Int32Array(workerData.flags);
let db;
try {
  const Database = require(workerData.driver);
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma('busy_timeout = 1000');
} catch (err) {
  parentPort.postMessage({ error: String(err && err.message) });
}
parentPort.on('message', (kind) => {
  if (!db) return;
  let reply = { busy: 1, log: -1, checkpointed: -1 };
  Atomics.store(flags, 0, 1);
  try {
    if (Atomics.load(flags, 1) === 0) {
      const [r] = db.pragma(kind === 'truncate' ? 'wal_checkpoint(TRUNCATE)' : 'wal_checkpoint(PASSIVE)');
      reply = { busy: r.busy, log: r.log, checkpointed: r.checkpointed };
    }
  } catch (err) {
    reply = { error: String(err && err.message) };
  } finally {
    Atomics.store(flags, 0, 0);
    Atomics.notify(flags, 0);
  }
  parentPort.postMessage(reply);
});
`;

export class WalCheckpointer {
  private worker: Worker | null = null;
  private failed = false;
  private readonly flags = new Int32Array(new SharedArrayBuffer(8));
  /** A paced stage is under way: the connection's automatic checkpoint is off. */
  private pacing = false;
  private running: Kind | false = false;
  /** The stage ended while a checkpoint ran: the last one follows it. */
  private lastPending = false;
  private waiters: (() => void)[] = [];
  private deadline: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database.Database,
    /** The better-sqlite3 module the worker loads (tests give a missing one). */
    private readonly driver = createRequire(import.meta.url).resolve('better-sqlite3'),
  ) {}

  /**
   * Between two steps of a paced stage: checkpoints move to the worker (from the first call of the stage); one
   * starts if the WAL has grown; a promise when the writer should wait, else null.
   */
  pace(pacing: WalPacing): Promise<void> | null {
    if (!this.begin()) return null;
    const size = this.walSize();
    if (size >= pacing.startBytes) this.start('checkpoint');
    if (size < pacing.capBytes) return null;
    const wait = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.deadline ??= setTimeout(() => this.wake(), WAIT_MAX_MS);
    this.refresh();
    return wait;
  }

  /** The paced stage ended: writers let go, a last checkpoint, then the automatic checkpoint is back. */
  end(): void {
    if (!this.pacing) return;
    this.pacing = false;
    this.wake();
    if (this.worker === null) this.restore();
    else if (this.running) this.lastPending = true;
    else this.start('last');
  }

  /** Run `fn` (the store's own TRUNCATE checkpoint) with the worker held off and no checkpoint of its under way. */
  quiet<T>(fn: () => T): T {
    this.holdOff();
    try {
      return fn();
    } finally {
      Atomics.store(this.flags, 1, 0);
    }
  }

  /** The store closes: the worker ends (held off first, so the store's last checkpoint is its own). */
  close(): void {
    this.pacing = false;
    this.wake();
    this.restore();
    const w = this.worker;
    this.worker = null;
    this.failed = true;
    if (w === null) return;
    this.holdOff();
    void w.terminate();
  }

  /** No new checkpoint in the worker from now on (until flags[1] is cleared), and none under way (waited for). */
  private holdOff(): void {
    Atomics.store(this.flags, 1, 1);
    if (Atomics.load(this.flags, 0) === 1) Atomics.wait(this.flags, 0, 1, QUIET_MAX_MS);
  }

  /** Start pacing: the worker (once), the connection's automatic checkpoint off. False when there is no worker. */
  private begin(): boolean {
    if (this.failed) return false;
    if (this.worker === null) {
      try {
        const w = new Worker(WORKER, {
          eval: true,
          workerData: { file: this.db.name, driver: this.driver, flags: this.flags.buffer },
        });
        w.on('message', (r: Reply) => this.answered(r));
        w.on('error', () => this.fail());
        w.on('exit', () => this.fail());
        // Held open only while a checkpoint runs or a writer waits: an open store must not keep a process alive.
        w.unref();
        this.worker = w;
      } catch {
        this.failed = true;
        return false;
      }
    }
    if (!this.pacing) {
      this.pacing = true;
      this.lastPending = false;
      this.db.pragma('wal_autocheckpoint = 0');
      // A WAL started over by a commit is cut back to nothing, so its file's size tells how much it holds.
      this.db.pragma('journal_size_limit = 0');
    }
    return true;
  }

  private start(kind: Kind): void {
    if (this.running || this.worker === null) return;
    this.running = kind;
    this.worker.postMessage(kind);
    this.refresh();
  }

  private answered(r: Reply): void {
    const kind = this.running;
    this.running = false;
    if ('error' in r) {
      this.fail();
      return;
    }
    if (this.lastPending) {
      this.lastPending = false;
      this.start('last');
    } else if (kind === 'last') {
      if (!this.pacing) this.restore();
    } else if (this.waiters.length > 0) {
      // A writer waits. Every frame copied: start the WAL over in the worker (a commit would do it only when no
      // reader holds an older snapshot), then let the writer go, whether or not a reader kept it from happening.
      // Frames written meanwhile, or another checkpoint under way: again, shortly.
      const whole = r.busy === 0 && r.log >= 0 && r.log === r.checkpointed;
      if (kind === 'truncate') this.wake();
      else if (whole) this.start('truncate');
      else this.retry ??= setTimeout(() => this.again(), RETRY_MS);
    }
    this.refresh();
  }

  private again(): void {
    this.retry = null;
    if (this.waiters.length > 0) this.start('checkpoint');
  }

  private fail(): void {
    const w = this.worker;
    this.worker = null;
    this.failed = true;
    this.running = false;
    this.restore();
    this.wake();
    if (w !== null) void w.terminate();
  }

  /** The automatic checkpoint back on the store's connection. */
  private restore(): void {
    this.pacing = false;
    if (!this.db.open) return;
    this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    this.db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  }

  private wake(): void {
    if (this.deadline !== null) clearTimeout(this.deadline);
    if (this.retry !== null) clearTimeout(this.retry);
    this.deadline = null;
    this.retry = null;
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
    this.refresh();
  }

  private refresh(): void {
    if (this.running || this.waiters.length > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  private walSize(): number {
    try {
      return fs.statSync(`${this.db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    } catch {
      return 0;
    }
  }
}
