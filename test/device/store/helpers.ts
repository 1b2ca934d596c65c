// Shared set-up for the store tests: a temp directory per test, a settable clock, and small builders.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RevocationDelta, TrustBundle } from '../../../protocol/types.js';
/** The server history the store's lists belong to, unless a test says otherwise. */
export const LOG_ID = '00112233445566778899aabbccddeeff';

export interface TempDir {
  readonly dir: string;
  file(name?: string): string;
  cleanup(): void;
}

export function tempDir(): TempDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  return {
    dir,
    file: (name = 'device.sqlite') => path.join(dir, name),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}


export function bundle(version: number, issuedAt = 1_800_000_000 + version): TrustBundle {
  return {
    version,
    issuedAt,
    issuers: [
      {
        kid: 'a1b2c3d4',
        issuer: 'example-issuer',
        publicKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        validFrom: 1_700_000_000,
        validUntil: 1_900_000_000,
        status: 'active',
      },
    ],
    revocationKeys: [],
    policy: { actions: { green: 'open', yellow: 'attention', red: 'deny' }, maxOfflineAgeSeconds: 86_400 },
    sunset: 1_900_000_000,
  };
}

/** A revocation id for a small number: 16 bytes of hex, distinct per (n, stream). */
export function rid(n: number, stream = 0): string {
  return `${stream.toString(16).padStart(8, '0')}${n.toString(16).padStart(24, '0')}`;
}

export function delta(
  fromSeq: number,
  toSeq: number,
  added: readonly (string | { id: string; expiresAt: number })[],
  removed: readonly string[] = [],
  opts: { kind?: 'delta' | 'snapshot'; issuedAt?: number; logId?: string } = {},
): RevocationDelta {
  return {
    kind: opts.kind ?? 'delta',
    logId: opts.logId ?? LOG_ID,
    fromSeq,
    toSeq,
    issuedAt: opts.issuedAt ?? 1_800_000_000 + toSeq,
    added: added.map((a) =>
      typeof a === 'string'
        ? { revocationId: a, expiresAt: 1_850_000_000 }
        : { revocationId: a.id, expiresAt: a.expiresAt },
    ),
    removed,
  };
}

/** Every file SQLite keeps for the store (main, WAL, shared memory), concatenated. */
export function rawBytes(file: string): Buffer {
  const parts = [file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
  return Buffer.concat(parts);
}
