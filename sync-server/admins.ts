// Admin bearer tokens: created on first start (written to `<dataDir>/admin.token`, 0600), stored hashed.
import fs from 'node:fs';
import type { Db } from './db.js';
import { DomainError } from './errors.js';
import { newToken, parseToken, randomId, secretMatches } from './secrets.js';
import { writeFileAtomic } from './publish.js';

export class AdminTokens {
  private readonly db: Db;
  private readonly lookup;

  constructor(db: Db) {
    this.db = db;
    this.lookup = db.prepare('SELECT hash FROM admin_tokens WHERE id = ? AND revoked_at IS NULL');
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM admin_tokens WHERE revoked_at IS NULL').get() as { n: number })
      .n;
  }

  /** Create a token and write it to `file` (0600). Only its hash stays in the database. */
  create(file: string, now: number): { id: string } {
    const id = randomId(4);
    const { token, hash } = newToken('adm', id);
    writeFileAtomic(file, token + '\n', 0o600);
    fs.chmodSync(file, 0o600);
    this.db.prepare('INSERT INTO admin_tokens (id, hash, created_at) VALUES (?, ?, ?)').run(id, hash, now);
    return { id };
  }

  /** Revoke every admin token (before writing a new one, when the old file was lost or leaked). */
  revokeAll(now: number): number {
    return this.db.prepare('UPDATE admin_tokens SET revoked_at = ? WHERE revoked_at IS NULL').run(now).changes;
  }

  /** Returns the token id (the audit log's actor) or throws TOKEN_INVALID. */
  authenticate(token: string): string {
    const parsed = parseToken(token, 'adm');
    if (!parsed) throw new DomainError('TOKEN_INVALID');
    const row = this.lookup.get(parsed.id) as { hash: Buffer } | undefined;
    if (!row || !secretMatches(parsed.secret, row.hash)) throw new DomainError('TOKEN_INVALID');
    return `admin:${parsed.id}`;
  }
}
