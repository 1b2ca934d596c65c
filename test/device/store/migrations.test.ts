// Opening and migrating the store file: from empty, across versions, refusing newer and foreign files, and the
// connection settings the device relies on.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, StoreError } from '../../../device/store/index.js';
import { APPLICATION_ID, MIGRATIONS, migrate } from '../../../device/store/migrations.js';
import type { Migration } from '../../../device/store/migrations.js';
import { tempDir } from './helpers.js';
import type { TempDir } from './helpers.js';

let tmp: TempDir;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err.code;
    throw err;
  }
  throw new Error('expected an error');
}

function inspect(file: string): { version: number; appId: number; tables: string[] } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      appId: db.pragma('application_id', { simple: true }) as number,
      tables: db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[],
    };
  } finally {
    db.close();
  }
}

const V2: Migration = {
  version: MIGRATIONS.length + 1,
  description: 'test: a column added to counters',
  up(db) {
    db.exec("ALTER TABLE counters ADD COLUMN note TEXT NOT NULL DEFAULT 'v2'");
  },
};

describe('migrations', () => {
  it('creates the latest schema in a new file, with the application id, in a new directory', () => {
    const file = `${tmp.dir}/nested/data/device.sqlite`;
    openStore(file).close();
    const info = inspect(file);
    expect(info.version).toBe(MIGRATIONS.length);
    expect(info.appId).toBe(APPLICATION_ID);
    expect(info.tables).toEqual(
      expect.arrayContaining([
        'counters',
        'device_secret',
        'events',
        'passback',
        'revocations',
        'state',
        'trust_bundle',
      ]),
    );
    expect(fs.statSync(`${tmp.dir}/nested/data`).mode & 0o777).toBe(0o700);
  });

  it('reopens an existing file without migrating again and keeps its data', () => {
    const s = openStore(tmp.file());
    s.bump('entries', 7);
    s.close();
    const again = openStore(tmp.file());
    expect(again.counters()).toEqual({ entries: 7 });
    again.close();
  });

  it('migrates a file to the next version and keeps its data', () => {
    const s = openStore(tmp.file());
    s.bump('entries', 2);
    s.close();
    const upgraded = openStore(tmp.file(), {}, [...MIGRATIONS, V2]);
    expect(upgraded.counters()).toEqual({ entries: 2 });
    upgraded.close();
    expect(inspect(tmp.file()).version).toBe(MIGRATIONS.length + 1);
    const db = new Database(tmp.file(), { readonly: true });
    expect(db.prepare('SELECT note FROM counters').pluck().get()).toBe('v2');
    db.close();
  });

  it('leaves the file at the old version when a migration fails', () => {
    openStore(tmp.file()).close();
    const broken: Migration = {
      version: MIGRATIONS.length + 1,
      description: 'test: fails half-way',
      up(db) {
        db.exec("ALTER TABLE counters ADD COLUMN note TEXT NOT NULL DEFAULT 'v2'");
        db.exec('SELECT * FROM no_such_table');
      },
    };
    expect(codeOf(() => openStore(tmp.file(), {}, [...MIGRATIONS, broken]))).toBe('MIGRATION_FAILED');
    expect(inspect(tmp.file()).version).toBe(MIGRATIONS.length);
    const db = new Database(tmp.file(), { readonly: true });
    const columns = db.prepare("SELECT name FROM pragma_table_info('counters')").pluck().all();
    db.close();
    expect(columns).toEqual(['name', 'value']);
  });

  it('refuses a file written by a newer version, without touching it', () => {
    openStore(tmp.file(), {}, [...MIGRATIONS, V2]).close();
    const before = fs.readFileSync(tmp.file());
    expect(codeOf(() => openStore(tmp.file()))).toBe('NEWER_SCHEMA');
    expect(fs.readFileSync(tmp.file()).equals(before)).toBe(true);
  });

  it('refuses an SQLite file of another application and a file that is not SQLite', () => {
    const foreign = new Database(tmp.file('foreign.sqlite'));
    foreign.exec('CREATE TABLE passes (id TEXT)');
    foreign.close();
    expect(codeOf(() => openStore(tmp.file('foreign.sqlite')))).toBe('NOT_A_STORE');
    fs.writeFileSync(
      tmp.file('text.sqlite'),
      'this is not a database, just some text long enough to look like one. '.repeat(20),
    );
    expect(codeOf(() => openStore(tmp.file('text.sqlite')))).toBe('NOT_A_STORE');
  });

  it('refuses a migration list with a hole', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, [{ ...V2 }])).toThrow(/out of order/);
    db.close();
  });

  it('runs in WAL mode with synchronous=NORMAL, foreign keys on, the busy timeout, secure delete and the cache size', () => {
    const s = openStore(tmp.file(), { busyTimeoutMs: 1234, cacheSizeKiB: 4096 });
    expect(s.diagnostics()).toMatchObject({
      schemaVersion: MIGRATIONS.length,
      journalMode: 'wal',
      synchronous: 1,
      foreignKeys: true,
      busyTimeoutMs: 1234,
      secureDelete: true,
      cacheSizeKiB: 4096,
    });
    s.close();
  });

  it('refuses options outside their range', () => {
    expect(codeOf(() => openStore(tmp.file(), { cacheSizeKiB: 1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => openStore(tmp.file(), { busyTimeoutMs: -5 }))).toBe('INVALID_ARGUMENT');
  });
});
