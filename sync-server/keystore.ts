// The server's signing keys: the deployment root (signs bundles and revocation lists) and the issuer keys
// (sign passes). Private keys live in files (0600) in `<dataDir>/keys/` or where the config points; the
// database holds which keys exist, their role and their life (created, retired, revoked).
// Key files inside the data directory are recorded relative to it (`keys/root.key`), so a moved or copied
// directory signs with its own files; only a key file the config names outside the directory keeps its absolute
// path. Absolute paths written by older versions are rewritten on start (`relocate`).
import fs from 'node:fs';
import path from 'node:path';
import { encodePublicKey, generateSigningKey, type SigningKey } from '../protocol/index.js';
import { readPrivateKeyFile, writePrivateKeyFile, writePublicKeyFile } from './keyfiles.js';
import type { Db } from './db.js';

export interface IssuerKeyRow {
  kid: string;
  issuer: string;
  publicKey: string;
  file: string;
  createdAt: number;
  retiredAt: number | null;
  revokedAt: number | null;
}

interface KeyRowDb {
  kid: string;
  issuer: string;
  public_key: string;
  file: string;
  created_at: number;
  retired_at: number | null;
  revoked_at: number | null;
}

const toRow = (r: KeyRowDb): IssuerKeyRow => ({
  kid: r.kid,
  issuer: r.issuer,
  publicKey: r.public_key,
  file: r.file,
  createdAt: r.created_at,
  retiredAt: r.retired_at,
  revokedAt: r.revoked_at,
});

/** True when `file` is a readable private key file whose public key is `publicKey` (base64url). */
function holdsKey(file: string, publicKey: string): boolean {
  if (!fs.existsSync(file)) return false;
  try {
    return encodePublicKey(readPrivateKeyFile(file).publicKey) === publicKey;
  } catch {
    return false;
  }
}

export class KeyStore {
  private readonly db: Db;
  private readonly dataDir: string;
  private readonly keysDir: string;
  private readonly loaded = new Map<string, SigningKey>();
  private rootKey: SigningKey | null = null;
  /** Key files written in the transaction under way: removed if it rolls back (core.ts). */
  private pending: string[] = [];

  constructor(db: Db, dataDir: string) {
    this.db = db;
    this.dataDir = path.resolve(dataDir);
    this.keysDir = path.join(this.dataDir, 'keys');
  }

  /** Where a recorded key file is: relative paths are inside the data directory. */
  resolve(file: string): string {
    return path.resolve(this.dataDir, file);
  }

  /** How a key file is recorded: relative to the data directory when inside it, else absolute. */
  private record(file: string): string {
    const abs = path.resolve(file);
    const rel = path.relative(this.dataDir, abs);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  }

  /**
   * Rewrite absolute key paths of older versions: a path inside this data directory becomes relative; a path
   * into another directory's `keys/` folder (this directory was copied or moved) becomes this directory's own
   * `keys/<name>` when that file exists here, so a copy never signs with the original's key files.
   */
  relocate(): number {
    const rows = this.db.prepare('SELECT kid, file, public_key FROM signing_keys').all() as {
      kid: string;
      file: string;
      public_key: string;
    }[];
    const update = this.db.prepare('UPDATE signing_keys SET file = ? WHERE kid = ?');
    let changed = 0;
    for (const r of rows) {
      if (!path.isAbsolute(r.file)) continue;
      let next = this.record(r.file);
      const own = path.join(this.keysDir, path.basename(r.file));
      if (path.isAbsolute(next) && path.basename(path.dirname(r.file)) === 'keys' && holdsKey(own, r.public_key)) {
        next = this.record(own);
      }
      if (next !== r.file) {
        update.run(next, r.kid);
        changed++;
      }
    }
    return changed;
  }

  /**
   * Load the keys on start; on first start, take the configured key files or generate new ones.
   * Returns true when keys were created here.
   */
  init(opts: { issuer: string; rootFile: string | null; issuerFile: string | null; now: number }): boolean {
    fs.mkdirSync(this.keysDir, { recursive: true, mode: 0o700 });
    const haveRoot = this.db.prepare("SELECT kid FROM signing_keys WHERE role = 'root'").get() as
      { kid: string } | undefined;
    let created = false;
    if (!haveRoot) {
      const root = opts.rootFile ? readPrivateKeyFile(opts.rootFile) : this.generate('root', opts.issuer);
      const file = opts.rootFile ?? this.fileFor('root', root);
      this.insert(root, 'root', file, opts.now);
      created = opts.rootFile === null;
    }
    const haveIssuer = this.db.prepare("SELECT kid FROM signing_keys WHERE role = 'issuer'").get();
    if (!haveIssuer) {
      const key = opts.issuerFile ? readPrivateKeyFile(opts.issuerFile) : this.generate('issuer', opts.issuer);
      const file = opts.issuerFile ?? this.fileFor('issuer', key);
      this.insert(key, 'issuer', file, opts.now);
      created ||= opts.issuerFile === null;
    }
    this.keepPending(); // first-start keys belong to the caller's transaction, not to a later change
    this.relocate();
    const rootRow = this.db.prepare("SELECT file FROM signing_keys WHERE role = 'root'").get() as { file: string };
    this.rootKey = readPrivateKeyFile(this.resolve(rootRow.file));
    return created;
  }

  root(): SigningKey {
    if (!this.rootKey) throw new Error('key store not initialised');
    return this.rootKey;
  }

  /** The issuer key new passes are signed with. */
  activeIssuer(): SigningKey {
    const row = this.db
      .prepare(
        "SELECT kid FROM signing_keys WHERE role = 'issuer' AND retired_at IS NULL AND revoked_at IS NULL ORDER BY rowid DESC LIMIT 1",
      )
      .get() as { kid: string } | undefined;
    if (!row) throw new Error('no active issuer key');
    return this.issuerKey(row.kid);
  }

  /** An issuer key by kid (to re-render a pass it signed); throws when unknown or its file is gone. */
  issuerKey(kid: string): SigningKey {
    const cached = this.loaded.get(kid);
    if (cached) return cached;
    const row = this.db.prepare("SELECT file FROM signing_keys WHERE role = 'issuer' AND kid = ?").get(kid) as
      { file: string } | undefined;
    if (!row) throw new Error(`unknown issuer key ${kid}`);
    const key = readPrivateKeyFile(this.resolve(row.file));
    this.loaded.set(kid, key);
    return key;
  }

  issuerRows(): IssuerKeyRow[] {
    return (this.db.prepare("SELECT * FROM signing_keys WHERE role = 'issuer' ORDER BY rowid").all() as KeyRowDb[]).map(
      toRow,
    );
  }

  /**
   * Make a new issuer key the active one. The old key is retired (still valid for the passes it signed, until
   * they expire) or, when `revokeOld`, revoked (every pass it signed stops verifying). Call inside a transaction
   * with the bundle rebuild; the key file is written first so a crash never leaves a row without its file.
   */
  rotate(opts: { issuer: string; now: number; revokeOld: boolean }): { kid: string; previous: string[] } {
    const previous = this.db
      .prepare("SELECT kid FROM signing_keys WHERE role = 'issuer' AND retired_at IS NULL AND revoked_at IS NULL")
      .all() as { kid: string }[];
    const key = this.generate('issuer', opts.issuer);
    const col = opts.revokeOld ? 'revoked_at' : 'retired_at';
    const mark = this.db.prepare(
      `UPDATE signing_keys SET ${col} = ?, retired_at = COALESCE(retired_at, ?) WHERE kid = ?`,
    );
    for (const p of previous) mark.run(opts.now, opts.now, p.kid);
    this.insert(key, 'issuer', this.fileFor('issuer', key), opts.now);
    return { kid: key.kid, previous: previous.map((p) => p.kid) };
  }

  private generate(role: 'root' | 'issuer', issuer: string): SigningKey {
    const key = generateSigningKey(issuer);
    const file = this.fileFor(role, key);
    const pub = file.replace(/\.key$/, '.pub');
    this.pending.push(file, pub);
    writePrivateKeyFile(file, key);
    writePublicKeyFile(pub, key.publicKey);
    return key;
  }

  /** The transaction that wrote new key files committed: keep them. */
  keepPending(): void {
    this.pending = [];
  }

  /** The transaction rolled back: remove the key files it wrote, and forget their keys. */
  discardPending(): void {
    for (const f of this.pending) fs.rmSync(f, { force: true });
    this.pending = [];
    const known = new Set((this.db.prepare('SELECT kid FROM signing_keys').pluck().all() as string[]) ?? []);
    for (const kid of [...this.loaded.keys()]) if (!known.has(kid)) this.loaded.delete(kid);
  }

  private fileFor(role: 'root' | 'issuer', key: SigningKey): string {
    return path.join(this.keysDir, role === 'root' ? 'root.key' : `issuer-${key.kid}.key`);
  }

  private insert(key: SigningKey, role: 'root' | 'issuer', file: string, now: number): void {
    this.db
      .prepare('INSERT INTO signing_keys (kid, role, issuer, public_key, file, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(key.kid, role, key.issuer, encodePublicKey(key.publicKey), this.record(file), now);
    if (role === 'issuer') this.loaded.set(key.kid, key);
  }
}
