// Admin bearer tokens: created on first start (written to `<dataDir>/admin.token`, 0600), stored hashed. Each has a
// role: `admin` may do everything; `operator` (made by an admin through the API, for a guard desk) may only open
// gates remotely (sync-server/http/auth.ts refuses it everything else with 403 ROLE_FORBIDDEN).
import fs from 'node:fs';
import type { Db } from './db.js';
import { DomainError } from './errors.js';
import { newToken, parseToken, randomId, secretMatches } from './secrets.js';
import { writeFileAtomic } from './publish.js';

export type AdminRole = 'admin' | 'operator';

export interface Authenticated {
  /** The audit log's actor: `admin:<id>` or `operator:<id>`. */
  readonly actor: string;
  readonly role: AdminRole;
}

export interface OperatorRecord {
  readonly id: string;
  readonly name: string | null;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export class AdminTokens {
  private readonly db: Db;
  private readonly lookup;

  constructor(db: Db) {
    this.db = db;
    this.lookup = db.prepare('SELECT hash, role FROM admin_tokens WHERE id = ? AND revoked_at IS NULL');
  }

  count(): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM admin_tokens WHERE revoked_at IS NULL AND role = 'admin'").get() as {
        n: number;
      }
    ).n;
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

  /** An operator token (it may only open gates): returned once, only its hash is kept. */
  createOperator(name: string | null, now: number): { id: string; token: string } {
    const id = randomId(4);
    const { token, hash } = newToken('adm', id);
    this.db
      .prepare("INSERT INTO admin_tokens (id, hash, created_at, role, name) VALUES (?, ?, ?, 'operator', ?)")
      .run(id, hash, now, name);
    return { id, token };
  }

  listOperators(): OperatorRecord[] {
    const rows = this.db
      .prepare("SELECT id, name, created_at, revoked_at FROM admin_tokens WHERE role = 'operator' ORDER BY created_at")
      .all() as { id: string; name: string | null; created_at: number; revoked_at: number | null }[];
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  /** Revoke one operator token; TOKEN_INVALID when `id` names no live operator token. */
  revokeOperator(id: string, now: number): void {
    const changes = this.db
      .prepare("UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND role = 'operator' AND revoked_at IS NULL")
      .run(now, id).changes;
    if (changes === 0) throw new DomainError('TOKEN_INVALID', { detail: 'operator' });
  }

  /** Revoke every admin and operator token (before writing a new one, when the old file was lost or leaked). */
  revokeAll(now: number): number {
    return this.db.prepare('UPDATE admin_tokens SET revoked_at = ? WHERE revoked_at IS NULL').run(now).changes;
  }

  /** The token's actor and role, or TOKEN_INVALID. */
  authenticate(token: string): Authenticated {
    const parsed = parseToken(token, 'adm');
    if (!parsed) throw new DomainError('TOKEN_INVALID');
    const row = this.lookup.get(parsed.id) as { hash: Buffer; role: AdminRole } | undefined;
    if (!row || !secretMatches(parsed.secret, row.hash)) throw new DomainError('TOKEN_INVALID');
    return { actor: `${row.role}:${parsed.id}`, role: row.role };
  }
}
