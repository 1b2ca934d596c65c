// The audit log: every admin change, who (token id), what, when, on which target. Details are small
// metadata objects; pass text, tokens and enrolment codes are never written here.
import type { Db } from './db.js';

export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly details: Record<string, unknown> | null;
}

export class AuditLog {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  record(
    at: number,
    actor: string,
    action: string,
    target: string | null,
    details: Record<string, unknown> | null = null,
  ): void {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)')
      .run(at, actor, action, target, details === null ? null : JSON.stringify(details));
  }

  /** Newest first; `before` pages back by id. */
  list(opts: { limit: number; before?: number | undefined }): AuditEntry[] {
    const rows = this.db
      .prepare('SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?')
      .all(opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit) as {
      id: number;
      at: number;
      actor: string;
      action: string;
      target: string | null;
      details: string | null;
    }[];
    return rows.map((r) => ({
      ...r,
      details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
    }));
  }
}
