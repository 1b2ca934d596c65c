// One server per data directory. Two processes on one data dir would each cache the bundle, the device tokens and
// the publish state, and overwrite each other's published files.
// The lock is an exclusive SQLite lock (a POSIX advisory lock) held on the open file `server-lock.sqlite` for the
// life of the process: taking it is one atomic step in the kernel, it goes away with the process however that ends
// (SIGKILL, power cut), and a copied or moved data directory carries the file but never the lock. The file is left
// in place on release: removing it could let two later servers lock two different files of the same name.
// Older versions kept a pid in `server.lock` (read, check, remove, create: not atomic); that file is no longer
// read, and is removed when found.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

export const LOCK_FILE = 'server-lock.sqlite';

/** Lock files held by this process. */
const held = new Set<string>();

function sqliteCode(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

function tryLock(file: string): Database.Database {
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at INTEGER NOT NULL)');
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid, started_at) VALUES (?, ?)').run(process.pid, Date.now());
    db.exec('COMMIT');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Take the lock of `dataDir`; returns the function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  const file = path.resolve(dataDir, LOCK_FILE);
  if (held.has(file)) throw new DataDirLockedError(`data directory ${dataDir} is already open in this process`);
  let db: Database.Database;
  try {
    db = tryLock(file);
  } catch (err) {
    const code = sqliteCode(err);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new DataDirLockedError(`data directory ${dataDir} is in use by another gatecode server`);
    }
    throw err;
  }
  fs.chmodSync(file, 0o600);
  fs.rmSync(path.join(dataDir, 'server.lock'), { force: true });
  held.add(file);
  const lock = db;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(file);
    lock.close();
  };
}
