// `gatecode server backup` and `gatecode server restore`: the data directory as one file and back.
import path from 'node:path';
import { backupDataDir, BackupError, restoreDataDir, type BackupManifest } from '../sync-server/backup.js';
import { loadConfigFile } from '../sync-server/config.js';
import { parseOptions, UsageError } from './usage.js';

export const BACKUP_USAGE = `usage:
  gatecode server backup [--config FILE] [--data DIR] --out FILE [--json]
      Copies the database (SQLite online backup: consistent while the server runs) and every key file it
      names into FILE (mode 0600: it holds the private keys). Run it on a schedule; keep copies off the host.
  gatecode server restore --in FILE [--config FILE] [--data DIR] [--json]
      Writes a backup into an empty data directory. The restored server starts a new history: devices fetch
      its whole revocation list. Revocations made after the backup are not in it: revoke those passes again.`;

function parse(argv: string[]) {
  return parseOptions(argv, {
    config: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    in: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }).values;
}

function dataDirOf(v: { config?: string | undefined; data?: string | undefined }): string {
  if (v.data !== undefined) return path.resolve(v.data);
  if (v.config === undefined) return path.resolve('gatecode-data');
  return loadConfigFile(v.config).dataDir; // a ConfigError exits 2 (exitCodeFor)
}

function report(manifest: BackupManifest, json: boolean, lines: string[]): void {
  if (json) process.stdout.write(JSON.stringify(manifest) + '\n');
  else process.stdout.write(lines.join('\n') + '\n');
}

export async function runBackup(sub: 'backup' | 'restore', argv: string[]): Promise<number> {
  const v = parse(argv);
  if (v.help) {
    process.stdout.write(BACKUP_USAGE + '\n');
    return 0;
  }
  const dataDir = dataDirOf(v);
  const now = Math.floor(Date.now() / 1000);
  try {
    if (sub === 'backup') {
      if (v.out === undefined) throw new UsageError('server backup: --out FILE is required');
      if (v.in !== undefined) throw new UsageError('server backup: --in is for restore');
      const m = await backupDataDir(dataDir, v.out, now);
      report(m, v.json === true, [
        `backup written to ${path.resolve(v.out)} (mode 0600: it holds the private keys)`,
        `revocation sequence ${m.revocationSeq} of history ${m.logId ?? '-'}, bundle version ${m.bundleVersion}, ` +
          `${Object.keys(m.files).filter((f) => f.startsWith('keys/')).length} key files`,
      ]);
      return 0;
    }
    if (v.in === undefined) throw new UsageError('server restore: --in FILE is required');
    if (v.out !== undefined) throw new UsageError('server restore: --out is for backup');
    const m = restoreDataDir(v.in, dataDir);
    report(m, v.json === true, [
      `restored into ${dataDir}: revocation sequence ${m.revocationSeq}, bundle version ${m.bundleVersion}, ` +
        `backup of ${new Date(m.createdAt * 1000).toISOString()}`,
      'the server starts a new history on its next start; devices fetch the whole revocation list',
      'revocations made after the backup are not in it: revoke those passes again',
    ]);
    return 0;
  } catch (err) {
    if (err instanceof BackupError) {
      process.stderr.write(`gatecode server ${sub}: ${err.message} (${err.code})\n`);
      return 1;
    }
    throw err;
  }
}
