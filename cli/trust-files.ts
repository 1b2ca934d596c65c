// File helpers shared by the protocol commands (keys, bundle, revocations, pass): every failure becomes a
// one-line UsageError that names the file and the problem.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodePublicKey, isProtocolError, readBundleUnverified, verifyBundle } from '../protocol/index.js';
import type { SigningKey, TrustBundle } from '../protocol/index.js';
import { KeyFileError, readPrivateKeyFile, readPublicKeyFile } from '../sync-server/keyfiles.js';
import { UsageError } from './usage.js';

function keyFileProblem(err: unknown): never {
  if (err instanceof KeyFileError) throw new UsageError(err.message);
  throw err;
}

export function loadSigningKey(file: string, what: string): SigningKey {
  try {
    return readPrivateKeyFile(file);
  } catch (err) {
    if (err instanceof KeyFileError) throw new UsageError(`${what}: ${err.message}`);
    throw err;
  }
}

/** A public key from a public key file, or the public half of a private key file. */
export function loadPublicKey(file: string, what: string): Uint8Array {
  const text = readText(file, what);
  if (text.trimStart().startsWith('{')) return loadSigningKey(file, what).publicKey;
  try {
    return decodePublicKey(text);
  } catch {
    try {
      return readPublicKeyFile(file);
    } catch (err) {
      return keyFileProblem(err);
    }
  }
}

export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function readBytes(file: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new UsageError(`${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Write through a temp file and a rename, so that a reader never sees half a file. */
export function writeOutput(file: string, data: Uint8Array | string, what: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    throw new UsageError(`${what}: cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A signed bundle file: verified when a root key is given, else decoded with its signature unchecked. */
export function loadBundle(
  file: string,
  rootKeyFile: string | undefined,
): { bundle: TrustBundle; signature: 'verified' | 'not checked'; signerKid: string } {
  const bytes = readBytes(file, '--bundle');
  try {
    const { bundle, signerKid } = readBundleUnverified(bytes);
    if (rootKeyFile === undefined) return { bundle, signature: 'not checked', signerKid };
    return { bundle: verifyBundle(bytes, loadPublicKey(rootKeyFile, '--root-key')), signature: 'verified', signerKid };
  } catch (err) {
    if (isProtocolError(err)) throw new UsageError(`--bundle: ${file} is not a valid trust bundle (${err.code})`);
    throw err;
  }
}

/** The pass text from the argument, or from stdin when it is `-`. */
export function passArgument(arg: string | undefined): string {
  if (arg === undefined) throw new UsageError('give the pass text, or - to read it from stdin');
  if (arg !== '-') return arg.trim();
  try {
    return readFileSync(0, 'utf8').trim();
  } catch {
    throw new UsageError('cannot read the pass from stdin');
  }
}

export function parseUint(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`${what}: expected a whole number, got "${text}"`);
  return Number(text);
}

export function isoOf(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}
