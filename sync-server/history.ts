// The server's history identity (protocol/log-id.ts): a random log id in the database, fixed when the history
// starts and replaced whenever the history may have been rewound, so that no device ever takes a sequence number
// of one history for the same number of another:
//   - `start`    first start of a data directory;
//   - `restore`  `gatecode server restore` (the database is a backup: later revocations are gone);
//   - `copy`     the database file is not the one this history was started in (a copied data directory, or one
//                restored by other means): its identity (device and inode) is kept in `meta.history_home`;
//   - `gap`      the publish directory names a later sequence of this history than the database holds (the
//                database lost committed steps), or a device reports one (`since` above the current sequence).
// A new history also lifts the bundle version to at least the current epoch second, so that a bundle published
// by the abandoned history (whose version may exceed the restored one) never outranks the new bundles.
import fs from 'node:fs';
import path from 'node:path';
import { newLogId } from '../protocol/index.js';
import { getMeta, setMeta, type Db } from './db.js';

export type HistoryReason = 'start' | 'restore' | 'copy' | 'gap';

export interface HistoryInfo {
  readonly logId: string;
  readonly startedAt: number;
  readonly reason: HistoryReason;
}

/** The identity of the database file on its filesystem; a copy has another one, a rename keeps it. */
export function fileHome(file: string): string {
  const st = fs.statSync(file, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

export function currentHistory(db: Db): HistoryInfo | null {
  const logId = getMeta(db, 'log_id');
  if (logId === null) return null;
  return {
    logId,
    startedAt: Number(getMeta(db, 'log_started_at') ?? '0'),
    reason: (getMeta(db, 'log_reason') ?? 'start') as HistoryReason,
  };
}

/** Start a new history: a new log id (call inside a transaction with whatever else the new history needs). */
export function startHistory(db: Db, reason: HistoryReason, now: number): HistoryInfo {
  const info: HistoryInfo = { logId: newLogId(), startedAt: now, reason };
  setMeta(db, 'log_id', info.logId);
  setMeta(db, 'log_started_at', String(now));
  setMeta(db, 'log_reason', reason);
  db.prepare("DELETE FROM meta WHERE key = 'log_restart'").run();
  return info;
}

/** Record that the history lives in this database file (after start, restore or copy). */
export function claimHome(db: Db, dbFile: string): void {
  setMeta(db, 'history_home', fileHome(dbFile));
}

/**
 * Why the history must start anew on opening, or null: no history yet, another database file, or a publish
 * directory (index.json, written after each change) that names a later step of this history than the database.
 */
export function historyCheck(db: Db, dbFile: string, publishDir: string, seq: number): HistoryReason | null {
  const info = currentHistory(db);
  if (info === null) return 'start';
  const pending = getMeta(db, 'log_restart');
  if (pending === 'restore') return 'restore';
  const home = getMeta(db, 'history_home');
  if (home !== null && home !== fileHome(dbFile)) return 'copy';
  const published = readPublishedPosition(publishDir);
  if (published && published.logId === info.logId && published.revocationSeq > seq) return 'gap';
  return null;
}

function readPublishedPosition(dir: string): { logId: string; revocationSeq: number } | null {
  try {
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as Record<string, unknown>;
    const { logId, revocationSeq } = index;
    if (typeof logId !== 'string' || typeof revocationSeq !== 'number') return null;
    return { logId, revocationSeq };
  } catch {
    return null;
  }
}
