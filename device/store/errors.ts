// Typed errors of the device store. Callers branch on `code`; messages name the operation and the SQLite error
// class, never a pass id, a hash or a token. Protocol refusals (VERSION_ROLLBACK, SEQUENCE_GAP) stay ProtocolError.
import { ProtocolError } from '../../protocol/errors.js';

export const STORE_ERROR_CODES = [
  'OPEN_FAILED', // the file or its directory cannot be created or opened
  'NOT_A_STORE', // the file is not an SQLite database, or it belongs to another application
  'NEWER_SCHEMA', // the file was written by a newer gatecode (schema version above the one this build knows)
  'MIGRATION_FAILED', // a schema migration failed; the file is left at its previous version
  'CORRUPT', // SQLite reports corruption
  'BUSY', // another process holds the database locked beyond the busy timeout
  'DISK_FULL', // no space left for the write
  'IO', // another I/O or SQLite failure (read-only file system, permission, …)
  'INVALID_ARGUMENT', // a method was called with a value outside its contract (bad hex id, non-integer time, …)
  'CLOSED', // the store was used after close()
  'CONFLICT', // a staged revocation update is under way (or was ended by a wipe): one writer at a time
] as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}

/** The SQLite result code of an error thrown by better-sqlite3 (`SQLITE_BUSY`, `SQLITE_IOERR_WRITE`, …), if any. */
export function sqliteCode(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** Map an SQLite result code onto a store error code. */
export function storeCodeFor(sqlite: string): StoreErrorCode {
  if (sqlite === 'SQLITE_NOTADB') return 'NOT_A_STORE';
  if (sqlite.startsWith('SQLITE_CORRUPT')) return 'CORRUPT';
  if (sqlite.startsWith('SQLITE_BUSY') || sqlite.startsWith('SQLITE_LOCKED')) return 'BUSY';
  if (sqlite === 'SQLITE_FULL') return 'DISK_FULL';
  if (sqlite.startsWith('SQLITE_CANTOPEN')) return 'OPEN_FAILED';
  return 'IO';
}

/**
 * Turn anything thrown while `operation` ran into a typed error: StoreError and ProtocolError pass through,
 * SQLite errors get their store code, anything else (a bug) is rethrown untouched.
 */
export function toStoreError(err: unknown, operation: string): unknown {
  if (err instanceof StoreError || err instanceof ProtocolError) return err;
  const code = sqliteCode(err);
  if (code === null) return err;
  return new StoreError(storeCodeFor(code), `${operation} failed (${code})`, { cause: err });
}
