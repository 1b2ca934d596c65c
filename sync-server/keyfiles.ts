// Key files on disk. A private key file holds the JSON text of protocol's encodePrivateKey and is created with
// mode 0600 (written to a temp file beside it, fsynced, renamed); reading one that group or others can read is
// refused unless the caller allows it. A public key file is the raw key in base64url on one line.
import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import {
  decodePrivateKey,
  decodePublicKey,
  encodePrivateKey,
  encodePublicKey,
  isProtocolError,
} from '../protocol/index.js';
import type { SigningKey } from '../protocol/index.js';

export type KeyFileProblem = 'NOT_FOUND' | 'UNREADABLE' | 'INVALID' | 'INSECURE_MODE' | 'EXISTS';

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    readonly code: KeyFileProblem,
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export interface WriteOptions {
  /** Replace an existing file. Default false: an existing key is never overwritten by accident. */
  readonly overwrite?: boolean;
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

/** Write to a temp file beside `file`, fsync, then rename (or hard-link when overwriting is not allowed, so that
 *  an existing key is never replaced, even by a concurrent writer). */
function writeAtomic(file: string, text: string, mode: number, opts: WriteOptions): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (err) {
    throw new KeyFileError('UNREADABLE', file, `cannot create: ${errnoOf(err)}`);
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    if (opts.overwrite) renameSync(tmp, file);
    else {
      try {
        linkSync(tmp, file);
      } catch (err) {
        if (errnoOf(err) === 'EEXIST')
          throw new KeyFileError('EXISTS', file, 'already exists; refusing to overwrite a key');
        throw err;
      }
    }
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    throw new KeyFileError('UNREADABLE', file, `cannot write: ${errnoOf(err)}`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // renamed away already
    }
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyFileError('NOT_FOUND', file, 'no such file');
    throw new KeyFileError('UNREADABLE', file, `cannot read: ${code ?? 'error'}`);
  }
}

export function writePrivateKeyFile(file: string, key: SigningKey, opts: WriteOptions = {}): void {
  writeAtomic(file, encodePrivateKey(key), 0o600, opts);
}

export function writePublicKeyFile(file: string, publicKey: Uint8Array, opts: WriteOptions = {}): void {
  writeAtomic(file, encodePublicKey(publicKey) + '\n', 0o644, opts);
}

export interface ReadPrivateOptions {
  /** Accept a private key file that group or others may read (e.g. on a filesystem without modes). Default false. */
  readonly allowInsecureMode?: boolean;
}

export function readPrivateKeyFile(file: string, opts: ReadPrivateOptions = {}): SigningKey {
  const text = readText(file);
  if (!opts.allowInsecureMode && process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) {
      throw new KeyFileError(
        'INSECURE_MODE',
        file,
        `private key is readable by others (mode ${mode.toString(8)}); chmod 600 it`,
      );
    }
  }
  try {
    return decodePrivateKey(text);
  } catch (err) {
    if (isProtocolError(err)) throw new KeyFileError('INVALID', file, `not a gatecode private key (${err.message})`);
    throw err;
  }
}

export function readPublicKeyFile(file: string): Uint8Array {
  const text = readText(file);
  try {
    return decodePublicKey(text);
  } catch (err) {
    if (isProtocolError(err))
      throw new KeyFileError('INVALID', file, 'not a public key: expected one line of 43 base64url characters');
    throw err;
  }
}
