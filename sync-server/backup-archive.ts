// The backup file: a plain POSIX tar (ustar), so an operator can list it with `tar tf`. Only regular files with
// names from a short allow-list are written or read back: no links, no directories, no paths that climb out.
//   backup.json        what the backup holds (format, when, history, sequence, bundle version, sha256 per file)
//   gatecode.db        a consistent copy of the database (SQLite online backup)
//   keys/<name>.key    every private key file the database names (root, issuers), renamed to keys/<role name>
//   admin.token        the admin token file, when present
import { createHash } from 'node:crypto';

const BLOCK = 512;
const NAME = /^(?:backup\.json|gatecode\.db|admin\.token|keys\/(?:root|issuer-[0-9a-f]{16})\.key)$/;
/** A backup larger than this is refused on reading (the database is the bulk; 8 GiB is far beyond any gate). */
const MAX_FILE_BYTES = 8 * 1024 ** 3;

export class BackupFormatError extends Error {
  override readonly name = 'BackupFormatError';
}

export interface ArchiveEntry {
  readonly name: string;
  readonly data: Buffer;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o600, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** The tar bytes for `entries` (names checked against the allow-list). */
export function packArchive(entries: readonly ArchiveEntry[], mtime: number): Buffer[] {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (!NAME.test(e.name)) throw new BackupFormatError(`not a backup member name: ${e.name}`);
    parts.push(header(e.name, e.data.length, mtime), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return parts;
}

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('utf8');
}

/** Read the members of a backup tar: regular files with allowed names only, each once, checksums verified. */
export function unpackArchive(bytes: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at + BLOCK <= bytes.length) {
    const h = bytes.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) return out;
    const name = field(h, 0, 100);
    const sizeText = field(h, 124, 12).trim();
    const type = String.fromCharCode(h[156] ?? 0);
    const sumText = field(h, 148, 8).trim();
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    if (!/^[0-7]+$/.test(sumText) || parseInt(sumText, 8) !== sum)
      throw new BackupFormatError('not a gatecode backup (tar header checksum wrong)');
    if (type !== '0' && type !== '\0') throw new BackupFormatError(`backup member ${name}: not a regular file`);
    if (!NAME.test(name)) throw new BackupFormatError(`backup member ${JSON.stringify(name)}: not expected here`);
    if (out.has(name)) throw new BackupFormatError(`backup member ${name}: twice`);
    if (!/^[0-7]+$/.test(sizeText)) throw new BackupFormatError(`backup member ${name}: bad size`);
    const size = parseInt(sizeText, 8);
    if (size > MAX_FILE_BYTES || at + BLOCK + size > bytes.length)
      throw new BackupFormatError(`backup member ${name}: truncated`);
    out.set(name, Buffer.from(bytes.subarray(at + BLOCK, at + BLOCK + size)));
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new BackupFormatError('backup truncated (no end-of-archive marker)');
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
