import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../protocol/index.js';
import {
  KeyFileError,
  readPrivateKeyFile,
  readPublicKeyFile,
  writePrivateKeyFile,
  writePublicKeyFile,
} from '../../sync-server/keyfiles.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (err) {
    return err instanceof KeyFileError ? err.code : `other: ${String(err)}`;
  }
}

describe('key files', () => {
  it('writes the private key 0600 and the public key separately, and reads them back', () => {
    const k = generateSigningKey('acme-events');
    const priv = path.join(dir, 'issuer.key');
    const pub = path.join(dir, 'issuer.pub');
    writePrivateKeyFile(priv, k);
    writePublicKeyFile(pub, k.publicKey);
    expect(statSync(priv).mode & 0o777).toBe(0o600);
    expect(readFileSync(pub, 'utf8')).not.toContain('PRIVATE');
    expect(readPrivateKeyFile(priv).kid).toBe(k.kid);
    expect(readPublicKeyFile(pub)).toEqual(k.publicKey);
  });

  it('never overwrites a key unless asked', () => {
    const file = path.join(dir, 'root.key');
    const a = generateSigningKey('root');
    writePrivateKeyFile(file, a);
    expect(codeOf(() => writePrivateKeyFile(file, generateSigningKey('root')))).toBe('EXISTS');
    expect(readPrivateKeyFile(file).kid).toBe(a.kid);
    const b = generateSigningKey('root');
    writePrivateKeyFile(file, b, { overwrite: true });
    expect(readPrivateKeyFile(file).kid).toBe(b.kid);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a private key that others can read, unless allowed', () => {
    const file = path.join(dir, 'issuer.key');
    writePrivateKeyFile(file, generateSigningKey('x'));
    chmodSync(file, 0o644);
    expect(codeOf(() => readPrivateKeyFile(file))).toBe('INSECURE_MODE');
    expect(codeOf(() => readPrivateKeyFile(file, { allowInsecureMode: true }))).toBe('OK');
  });

  it('names missing, unreadable and invalid files with a code', () => {
    expect(codeOf(() => readPrivateKeyFile(path.join(dir, 'none.key')))).toBe('NOT_FOUND');
    expect(codeOf(() => readPublicKeyFile(dir))).toBe('UNREADABLE');
    const junk = path.join(dir, 'junk.key');
    writeFileSync(junk, 'hello', { mode: 0o600 });
    expect(codeOf(() => readPrivateKeyFile(junk))).toBe('INVALID');
    expect(codeOf(() => readPublicKeyFile(junk))).toBe('INVALID');
    expect(codeOf(() => writePrivateKeyFile(path.join(dir, 'no', 'such', 'dir.key'), generateSigningKey('x')))).toBe(
      'UNREADABLE',
    );
  });
});
