// Open (or create) the device store: one SQLite file in WAL mode, owner-only permissions, migrated to the latest
// schema. Any failure closes the connection and surfaces as a StoreError with a code.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, toStoreError } from './errors.js';
import { MIGRATIONS, migrate } from './migrations.js';
import type { Migration } from './migrations.js';
import { SqliteDeviceStore } from './sqlite-store.js';
import type { DeviceStore, StoreOptions } from './types.js';
import { AUTOCHECKPOINT_PAGES, JOURNAL_SIZE_LIMIT_BYTES } from './wal-checkpointer.js';

export const STORE_DEFAULTS = {
  busyTimeoutMs: 5000,
  cacheSizeKiB: 8192,
  mmapSizeBytes: 0,
  revocationGraceSeconds: 86_400,
  /** The WAL is cut back to this size after checkpoints. */
  journalSizeLimitBytes: JOURNAL_SIZE_LIMIT_BYTES,
} as const;

function systemSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Create the directory (owner-only) and an empty owner-only file, so the secret and tokens are never world-readable. */
function prepareFile(file: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, 0o600);
    fs.closeSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StoreError('OPEN_FAILED', `cannot create or open the store file (${code})`, { cause: err });
  }
}

function configure(db: Database.Database, opts: StoreOptions): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new StoreError('IO', `the file system does not support WAL (journal_mode ${String(mode)})`);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? STORE_DEFAULTS.busyTimeoutMs}`);
  // Deleted rows are overwritten with zeros, so purged events and wiped data do not linger in free pages.
  db.pragma('secure_delete = ON');
  db.pragma(`cache_size = -${opts.cacheSizeKiB ?? STORE_DEFAULTS.cacheSizeKiB}`);
  db.pragma(`mmap_size = ${opts.mmapSizeBytes ?? STORE_DEFAULTS.mmapSizeBytes}`);
  db.pragma(`journal_size_limit = ${STORE_DEFAULTS.journalSizeLimitBytes}`);
  // Checkpoints run in the commit that takes the WAL past this many pages; a paced stage moves them to a worker.
  db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  // VACUUM and large sorts stay in memory rather than in a temporary file that could keep copies of rows.
  db.pragma('temp_store = MEMORY');
}

function checkOptions(opts: StoreOptions): void {
  const positive = (v: number | undefined, what: string, min: number): void => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) {
      throw new StoreError('INVALID_ARGUMENT', `${what}: expected a whole number ≥ ${min}`);
    }
  };
  positive(opts.busyTimeoutMs, 'busyTimeoutMs', 0);
  positive(opts.cacheSizeKiB, 'cacheSizeKiB', 64);
  positive(opts.mmapSizeBytes, 'mmapSizeBytes', 0);
  positive(opts.revocationGraceSeconds, 'revocationGraceSeconds', 0);
}

/**
 * Open the store at `file`, creating it (and its directory) on first use. `migrations` is for tests of the
 * migration machinery; production always uses the built-in list.
 */
export function openStore(
  file: string,
  opts: StoreOptions = {},
  migrations: readonly Migration[] = MIGRATIONS,
): DeviceStore {
  if (typeof file !== 'string' || file.length === 0) throw new StoreError('INVALID_ARGUMENT', 'file: expected a path');
  checkOptions(opts);
  prepareFile(file);
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch (err) {
    const mapped = toStoreError(err, 'open');
    throw mapped instanceof StoreError
      ? mapped
      : new StoreError('OPEN_FAILED', 'cannot open the store', { cause: err });
  }
  try {
    configure(db, opts);
    migrate(db, migrations);
    return new SqliteDeviceStore(db, {
      now: opts.now ?? systemSeconds,
      revocationGraceSeconds: opts.revocationGraceSeconds ?? STORE_DEFAULTS.revocationGraceSeconds,
    });
  } catch (err) {
    db.close();
    throw toStoreError(err, 'open');
  }
}
