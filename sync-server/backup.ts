// `gatecode server backup` and `gatecode server restore`.
// Backup is online and consistent: SQLite's backup API copies the database page by page while a server keeps
// running on it (each step sees one committed state), and the key files are the ones that copy names. The file is
// written 0600 (it holds the private keys) to a temp name, fsynced and renamed.
// Restore writes the members into an empty data directory, records every key path relative to it, and marks the
// history as restarted: on its next start the server takes a new log id and lifts the bundle version, so devices
// that hold later data of the old history fetch the restored list whole (see history.ts). Revocations made after
// the backup are not in it: revoke those passes again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { readPrivateKeyFile } from './keyfiles.js';
import { BackupFormatError, packArchive, sha256, unpackArchive, type ArchiveEntry } from './backup-archive.js';
import { getMeta, migrate, setMeta, SCHEMA_VERSION } from './db.js';

export { BackupFormatError } from './backup-archive.js';

export const BACKUP_FORMAT = 'gatecode-server-backup/1';

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly createdAt: number;
  readonly schemaVersion: number;
  readonly logId: string | null;
  readonly revocationSeq: number;
  readonly bundleVersion: number;
  readonly files: Readonly<Record<string, { readonly bytes: number; readonly sha256: string }>>;
}

export type BackupProblem = 'NO_DATABASE' | 'KEY_MISSING' | 'NOT_EMPTY' | 'BAD_BACKUP';

export class BackupError extends Error {
  override readonly name = 'BackupError';
  constructor(
    readonly code: BackupProblem,
    message: string,
  ) {
    super(message);
  }
}

function memberFor(role: string, kid: string): string {
  return role === 'root' ? 'keys/root.key' : `keys/issuer-${kid}.key`;
}

function writePrivate(file: string, parts: readonly Buffer[]): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    for (const p of parts) fs.writeSync(fd, p);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** Copy the data directory's database and key files into one backup file (mode 0600). */
export async function backupDataDir(dataDir: string, outFile: string, now: number): Promise<BackupManifest> {
  const dbFile = path.join(dataDir, 'gatecode.db');
  if (!fs.existsSync(dbFile)) throw new BackupError('NO_DATABASE', `${dataDir}: no gatecode.db here`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-backup-'));
  try {
    const copy = path.join(work, 'gatecode.db');
    const src = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      src.pragma('busy_timeout = 5000');
      await src.backup(copy);
    } finally {
      src.close();
    }
    const db = new Database(copy);
    const entries: ArchiveEntry[] = [];
    let manifestBase: Omit<BackupManifest, 'files' | 'createdAt' | 'format'>;
    try {
      db.pragma('journal_mode = DELETE');
      const keys = db.prepare('SELECT kid, role, file FROM signing_keys').all() as {
        kid: string;
        role: string;
        file: string;
      }[];
      for (const k of keys) {
        const file = path.resolve(dataDir, k.file);
        let data: Buffer;
        try {
          readPrivateKeyFile(file, { allowInsecureMode: true });
          data = fs.readFileSync(file);
        } catch (err) {
          throw new BackupError('KEY_MISSING', `key ${k.kid} (${k.role}): ${(err as Error).message}`);
        }
        entries.push({ name: memberFor(k.role, k.kid), data });
      }
      const bundle = db.prepare('SELECT MAX(version) AS v FROM bundles').get() as { v: number | null };
      manifestBase = {
        schemaVersion: db.pragma('user_version', { simple: true }) as number,
        logId: getMeta(db, 'log_id'),
        revocationSeq: Number(getMeta(db, 'revocation_seq') ?? '0'),
        bundleVersion: bundle.v ?? 0,
      };
    } finally {
      db.close();
    }
    entries.unshift({ name: 'gatecode.db', data: fs.readFileSync(copy) });
    const token = path.join(dataDir, 'admin.token');
    if (fs.existsSync(token)) entries.push({ name: 'admin.token', data: fs.readFileSync(token) });
    const files: Record<string, { bytes: number; sha256: string }> = {};
    for (const e of entries) files[e.name] = { bytes: e.data.length, sha256: sha256(e.data) };
    const manifest: BackupManifest = { format: BACKUP_FORMAT, createdAt: now, ...manifestBase, files };
    const all = [{ name: 'backup.json', data: Buffer.from(JSON.stringify(manifest, null, 2) + '\n') }, ...entries];
    writePrivate(path.resolve(outFile), packArchive(all, now));
    return manifest;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Read and check a backup file: manifest, every member's size and sha256, the database schema. */
export function readBackup(inFile: string): { manifest: BackupManifest; members: Map<string, Buffer> } {
  let members: Map<string, Buffer>;
  try {
    members = unpackArchive(fs.readFileSync(inFile));
  } catch (err) {
    if (err instanceof BackupFormatError) throw new BackupError('BAD_BACKUP', `${inFile}: ${err.message}`);
    throw err;
  }
  const text = members.get('backup.json');
  if (!text) throw new BackupError('BAD_BACKUP', `${inFile}: no backup.json in it`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(text.toString('utf8')) as BackupManifest;
  } catch {
    throw new BackupError('BAD_BACKUP', `${inFile}: backup.json is not JSON`);
  }
  if (manifest.format !== BACKUP_FORMAT) throw new BackupError('BAD_BACKUP', `${inFile}: not a ${BACKUP_FORMAT} file`);
  if (manifest.schemaVersion > SCHEMA_VERSION)
    throw new BackupError('BAD_BACKUP', `${inFile}: made by a newer gatecode (schema ${manifest.schemaVersion})`);
  const listed = Object.keys(manifest.files ?? {});
  if (!listed.includes('gatecode.db') || listed.length !== members.size - 1)
    throw new BackupError('BAD_BACKUP', `${inFile}: members and backup.json disagree`);
  for (const name of listed) {
    const data = members.get(name);
    const want = manifest.files[name];
    if (!data || !want || data.length !== want.bytes || sha256(data) !== want.sha256)
      throw new BackupError('BAD_BACKUP', `${inFile}: ${name} is damaged (size or sha256 differs)`);
  }
  return { manifest, members };
}

/**
 * Write a backup into `dataDir` (absent or empty of gatecode data), with key paths relative to it, marked so that
 * the server starts a new history on its next start.
 */
export function restoreDataDir(inFile: string, dataDir: string): BackupManifest {
  const { manifest, members } = readBackup(inFile);
  const dbFile = path.join(dataDir, 'gatecode.db');
  for (const f of ['gatecode.db', 'gatecode.db-wal', 'keys']) {
    if (fs.existsSync(path.join(dataDir, f)))
      throw new BackupError(
        'NOT_EMPTY',
        `${dataDir} already holds ${f}: stop the server, move the directory aside, and restore into an empty one`,
      );
  }
  fs.mkdirSync(path.join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  for (const [name, data] of members) {
    if (name === 'backup.json' || name === 'gatecode.db') continue;
    writePrivate(path.join(dataDir, name), [data]);
  }
  const tmpDb = path.join(dataDir, `.gatecode.db.${process.pid}.restore`);
  writePrivate(tmpDb, [members.get('gatecode.db') as Buffer]);
  const db = new Database(tmpDb);
  try {
    migrate(db);
    db.transaction(() => {
      const keys = db.prepare('SELECT kid, role FROM signing_keys').all() as { kid: string; role: string }[];
      const update = db.prepare('UPDATE signing_keys SET file = ? WHERE kid = ?');
      for (const k of keys) update.run(memberFor(k.role, k.kid), k.kid);
      // history.ts: the next start takes a new log id for this restored history.
      setMeta(db, 'log_restart', 'restore');
      db.prepare("DELETE FROM meta WHERE key = 'history_home'").run();
    })();
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
  fs.renameSync(tmpDb, dbFile);
  return manifest;
}
