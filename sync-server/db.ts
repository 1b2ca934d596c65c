// The server's SQLite database: WAL, foreign keys, versioned migrations tracked in `PRAGMA user_version`.
// synchronous = FULL: every commit fsyncs the WAL, so whatever the API answered 2xx for is on disk (a power cut
// cannot lose an answered revocation and reuse its sequence number); bulk event uploads opt out (core.ts).
// Each migration runs in one transaction; a database newer than this code is refused rather than guessed at.
import Database from 'better-sqlite3';

export type Db = Database.Database;
type Statement = Database.Statement;

const MIGRATIONS: readonly string[] = [
  // 1: everything the first release needs.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE admin_tokens (
    id TEXT PRIMARY KEY,
    hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );

  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('root', 'issuer')),
    issuer TEXT NOT NULL,
    public_key TEXT NOT NULL,
    file TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER,
    revoked_at INTEGER
  );

  CREATE TABLE bundles (
    version INTEGER PRIMARY KEY,
    issued_at INTEGER NOT NULL,
    bytes BLOB NOT NULL
  );

  CREATE TABLE passes (
    pass_id TEXT PRIMARY KEY,
    revocation_id TEXT NOT NULL UNIQUE,
    colour TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    kid TEXT NOT NULL REFERENCES signing_keys(kid),
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'replaced')),
    replaced_by TEXT,
    revoked_at INTEGER
  );
  CREATE INDEX passes_issued ON passes(issued_at);

  -- One row per revoked id and sequence step; a step may hold many ids.
  CREATE TABLE revocation_log (
    seq INTEGER NOT NULL,
    revocation_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (seq, revocation_id)
  ) WITHOUT ROWID;
  CREATE TABLE revocation_steps (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    count INTEGER NOT NULL
  );
  -- The current list (what a snapshot holds).
  CREATE TABLE revoked (
    revocation_id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    seq INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE enrolments (
    id TEXT PRIMARY KEY,
    code_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    used_at INTEGER,
    device_id TEXT,
    revoked_at INTEGER
  );

  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    name TEXT,
    token_hash BLOB NOT NULL,
    enrolled_at INTEGER NOT NULL,
    token_rolled_at INTEGER,
    revoked_at INTEGER,
    last_seen_at INTEGER,
    heartbeat TEXT,
    heartbeat_at INTEGER,
    counters TEXT
  );

  CREATE TABLE event_batches (
    device_id TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (device_id, key)
  ) WITHOUT ROWID;
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    colour TEXT NOT NULL,
    reason TEXT NOT NULL,
    pass_hash TEXT,
    direction TEXT,
    opened INTEGER NOT NULL,
    not_passed INTEGER NOT NULL,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX events_received ON events(received_at);

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT
  );
  `,
  // 2: holder-bound passes and claim links (sync-server/claims.ts). A claim stores only its secret's hash; a
  // holder-bound claim keeps the pass's terms until a wallet claims it with its public key.
  `
  ALTER TABLE passes ADD COLUMN holder_key TEXT;
  CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    secret_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    holder_bound INTEGER NOT NULL,
    terms TEXT,
    pass_id TEXT REFERENCES passes(pass_id),
    redeemed_at INTEGER,
    refreshed_at INTEGER
  );
  `,
  // 3: clean-up of old idempotency keys by index (it was a full scan per upload), event quotas per device.
  `
  CREATE INDEX event_batches_received ON event_batches(received_at);
  ALTER TABLE devices ADD COLUMN events_refused INTEGER NOT NULL DEFAULT 0;
  -- A device is listed once it has used its token (enrolment is whole or nothing); those enrolled before count.
  ALTER TABLE devices ADD COLUMN confirmed_at INTEGER;
  UPDATE devices SET confirmed_at = enrolled_at;
  `,
  // 4: claim links (issue 14): a used link stops being a credential; the wallet refreshes with a secret of its own,
  // given once at claim and stored here only as its hash. An administrator can revoke a link not yet used.
  `
  ALTER TABLE claims ADD COLUMN refresh_hash BLOB;
  CREATE UNIQUE INDEX claims_refresh_hash ON claims(refresh_hash);
  ALTER TABLE claims ADD COLUMN revoked_at INTEGER;
  ALTER TABLE claims ADD COLUMN revoked_by TEXT;
  `,
  // 5: alarms from devices (sync-server/alarms.ts) and outgoing webhooks with their delivery log
  // (sync-server/webhooks/). A webhook's secret is kept as such: it must sign every delivery (see docs/server.md).
  `
  CREATE TABLE alarms (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    raised_at REAL,
    cleared_at REAL,
    received_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT
  );
  CREATE INDEX alarms_open ON alarms(device_id, kind) WHERE cleared_at IS NULL;
  CREATE INDEX alarms_received ON alarms(received_at);
  CREATE TABLE alarm_event_ids (
    device_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, event_id)
  ) WITHOUT ROWID;
  CREATE INDEX alarm_event_ids_received ON alarm_event_ids(received_at);

  CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
  );
  CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    hook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at) WHERE status = 'pending';
  CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms INTEGER NOT NULL,
    error TEXT
  );
  CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id);
  `,
  // 6: admin token roles: `admin` (everything) or `operator` (may only open gates remotely), with a label.
  `
  ALTER TABLE admin_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'operator'));
  ALTER TABLE admin_tokens ADD COLUMN name TEXT;
  `,
  // 7: token rolls the gate completes itself (sync-server/device-tokens.ts): a roll asked for, and the hash of the
  // new token handed out but not yet used by the gate (the old token works until then).
  `
  ALTER TABLE devices ADD COLUMN token_roll_requested_at INTEGER;
  ALTER TABLE devices ADD COLUMN pending_token_hash BLOB;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class DatabaseVersionError extends Error {
  override readonly name = 'DatabaseVersionError';
}

/** Open (creating if needed) and migrate the server database. */
export function openDatabase(file: string): Db {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new DatabaseVersionError(
      `database schema ${current} is newer than this server understands (${MIGRATIONS.length})`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const sql = MIGRATIONS[v] as string;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** The meta statements, prepared once per connection (preparing is most of the cost of a one-row read). */
const metaStatements = new WeakMap<Db, { get: Statement; set: Statement }>();

function metaStatementsOf(db: Db): { get: Statement; set: Statement } {
  let m = metaStatements.get(db);
  if (!m) {
    m = {
      get: db.prepare('SELECT value FROM meta WHERE key = ?'),
      set: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
    };
    metaStatements.set(db, m);
  }
  return m;
}

export function getMeta(db: Db, key: string): string | null {
  const row = metaStatementsOf(db).get.get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setMeta(db: Db, key: string, value: string): void {
  metaStatementsOf(db).set.run(key, value);
}
