// Versioned schema migrations, tracked in SQLite's `user_version`. Each migration runs in its own immediate
// transaction together with the version bump, so a failure leaves the file at the previous version. A file written
// by a newer build (version above the last known migration) is refused, never downgraded.
import type Database from 'better-sqlite3';
import { StoreError, sqliteCode } from './errors.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  up(db: Database.Database): void;
}

/** `application_id` of a gatecode device store ("GCDV"); other SQLite files are refused. */
export const APPLICATION_ID = 0x47434456;

const V1_SCHEMA = `
  -- The per-device secret that keys pass hashes. Deleted by wipe(): older hashes become unlinkable.
  CREATE TABLE device_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB NOT NULL CHECK (length(secret) = 32),
    created_at INTEGER NOT NULL
  );
  -- The trust bundle held. wipe() clears bytes and json but keeps version, so an older bundle stays refused.
  CREATE TABLE trust_bundle (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL CHECK (version > 0),
    bytes BLOB,
    bundle_json TEXT,
    received_at INTEGER
  );
  -- Sequence of the revocation list. needs_snapshot = 1 after wipe(): the list is empty, only a snapshot (or a
  -- delta from 0) may refill it, and seq stays as the floor below which nothing is accepted.
  CREATE TABLE revocation_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL CHECK (seq >= 0),
    issued_at INTEGER,
    received_at INTEGER,
    needs_snapshot INTEGER NOT NULL CHECK (needs_snapshot IN (0, 1))
  );
  INSERT INTO revocation_state (id, seq, issued_at, received_at, needs_snapshot) VALUES (1, 0, NULL, NULL, 0);
  CREATE TABLE revocations (
    rid BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE passback (
    hash TEXT NOT NULL,
    zone TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    until INTEGER NOT NULL,
    PRIMARY KEY (hash, zone)
  ) WITHOUT ROWID;
  CREATE INDEX passback_until ON passback (until);
  -- No pass id anywhere: only the keyed hash, and only for the retention window.
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    colour TEXT NOT NULL CHECK (colour IN ('green', 'yellow', 'red')),
    reason TEXT NOT NULL,
    pass_hash TEXT,
    direction TEXT CHECK (direction IN ('in', 'out')),
    opened INTEGER NOT NULL CHECK (opened IN (0, 1)),
    passed INTEGER NOT NULL DEFAULT 1 CHECK (passed IN (0, 1)),
    uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1))
  );
  CREATE INDEX events_at ON events (at);
  CREATE INDEX events_pending ON events (id) WHERE uploaded = 0;
  CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'trust bundle, revocations, state, anti-passback, events, counters, device secret',
    up(db) {
      db.exec(V1_SCHEMA);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    },
  },
  {
    version: 2,
    description: 'the server history (log id) the revocation sequence belongs to',
    up(db) {
      // NULL for a list held from before log ids: only a snapshot can follow it.
      db.exec('ALTER TABLE revocation_state ADD COLUMN log_id TEXT');
    },
  },
  {
    version: 3,
    description: 'the alarm outbox: alarm transitions waiting to reach the server (device/alarms)',
    up(db) {
      // Bounded by the store (ALARM_OUTBOX_MAX rows); a row is deleted once the server has it. No pass data.
      db.exec(`CREATE TABLE alarm_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('raised', 'cleared')),
        at REAL NOT NULL
      )`);
    },
  },
  {
    version: 4,
    description: 'revocation generations: a staged update becomes visible in one small transaction',
    up(db) {
      // ADD COLUMN only changes the schema text: a store of 10 M ids migrates at once (old rows read the defaults).
      // A row is visible at generation G when born <= G and (dead IS NULL or dead > G) (docs/sync.md).
      db.exec(`ALTER TABLE revocations ADD COLUMN born INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE revocations ADD COLUMN dead INTEGER;
        ALTER TABLE revocation_state ADD COLUMN active_gen INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE revocation_state ADD COLUMN pending_gen INTEGER`);
    },
  },
];

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuse files that are not ours: another application id, or a non-empty database without ours. */
function checkOwnership(db: Database.Database): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId === APPLICATION_ID) return;
  const tables = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get() as number;
  if (appId !== 0 || tables > 0 || schemaVersion(db) !== 0) {
    throw new StoreError('NOT_A_STORE', 'the file is an SQLite database of another application');
  }
}

/**
 * Bring the file to the latest version of `migrations` (consecutive versions from 1). Returns the versions before
 * and after.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list out of order at index ${i}`);
  });
  checkOwnership(db);
  const from = schemaVersion(db);
  const latest = migrations.length;
  if (from > latest) {
    throw new StoreError(
      'NEWER_SCHEMA',
      `the store has schema version ${from}, this build knows up to ${latest}: update gatecode or use another data directory`,
    );
  }
  for (const m of migrations.slice(from)) {
    try {
      db.transaction(() => {
        m.up(db);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const code = sqliteCode(err) ?? (err instanceof Error ? err.name : 'error');
      throw new StoreError('MIGRATION_FAILED', `migration ${m.version} (${m.description}) failed (${code})`, {
        cause: err,
      });
    }
  }
  return { from, to: latest };
}
