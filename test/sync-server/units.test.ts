import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../sync-server/config.js';
import { DatabaseVersionError, openDatabase, SCHEMA_VERSION } from '../../sync-server/db.js';
import { RateLimiter } from '../../sync-server/rate-limit.js';
import {
  newEnrolmentCode,
  newToken,
  normaliseEnrolmentCode,
  parseToken,
  secretMatches,
} from '../../sync-server/secrets.js';
import { cleanup, tempDir } from '../support/server.js';

describe('config', () => {
  it('has loopback defaults', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8470,
      dataDir: 'gatecode-data',
      publicUrl: null,
      trustProxy: false,
    });
    expect(c.initialPolicy.actions).toEqual({ green: 'open', yellow: 'attention', red: 'deny' });
  });

  it('reports every bad or unknown key at once', () => {
    try {
      parseConfig({ port: 'x', nope: 1, rateLimit: { perToken: { burst: 0 } } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^port:/m);
      expect(problems).toMatch(/nope/);
      expect(problems).toMatch(/^rateLimit\.perToken\.burst:/m);
    }
  });

  it('reads YAML and resolves paths against the file', () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'server.yaml');
      fs.writeFileSync(file, 'port: 9000\ndataDir: data\nkeys:\n  root: keys/root.key\n');
      const c = loadConfigFile(file);
      expect(c.port).toBe(9000);
      expect(c.dataDir).toBe(path.join(dir, 'data'));
      expect(c.keys.root).toBe(path.join(dir, 'keys', 'root.key'));
      expect(() => loadConfigFile(path.join(dir, 'missing.yaml'))).toThrow(ConfigError);
      fs.writeFileSync(file, 'port: [');
      expect(() => loadConfigFile(file)).toThrow(ConfigError);
    } finally {
      cleanup(dir);
    }
  });
});

describe('database', () => {
  it('migrates to the current schema in WAL mode and refuses a newer one', () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'x.db');
      const db = openDatabase(file);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
      const raw = new Database(file);
      raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      raw.close();
      expect(() => openDatabase(file)).toThrow(DatabaseVersionError);
    } finally {
      cleanup(dir);
    }
  });
});

describe('rate limiter', () => {
  it('allows a burst, then refills at the rate, per key', () => {
    let now = 0;
    const rl = new RateLimiter({ ratePerSecond: 2, burst: 3 }, () => now);
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 0]);
    expect(rl.take('a')).toBe(1);
    expect(rl.take('b')).toBe(0);
    now += 500;
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBeGreaterThan(0);
  });

  it('keeps at most maxKeys buckets', () => {
    const rl = new RateLimiter({ ratePerSecond: 1, burst: 1 }, () => 0, 3);
    for (const k of ['a', 'b', 'c', 'd']) rl.take(k);
    expect(rl.size).toBe(3);
  });

  it('drops the bucket used longest ago (to the second) when full, never a busy one', () => {
    let now = 0;
    const rl = new RateLimiter({ ratePerSecond: 0.001, burst: 2 }, () => now, 3);
    for (const k of ['busy', 'b', 'c']) rl.take(k);
    // 'busy' is used on and on, less than a second apart; b and c are not used again.
    for (let i = 0; i < 5; i++) {
      now += 400;
      rl.take('busy', 0);
    }
    rl.take('d'); // full: b goes (a dropped bucket would be full again)
    expect([rl.take('b'), rl.take('b')]).toEqual([0, 0]); // b was dropped: a full bucket again (c goes now)
    expect(rl.take('busy')).toBe(0);
    expect(rl.take('busy')).toBeGreaterThan(0); // busy was kept: its second token was the last
  });
});

describe('secrets', () => {
  it('parses tokens of the right kind only and checks the secret against its hash', () => {
    const { token, hash } = newToken('dev', '0123abcd0123abcd');
    const p = parseToken(token, 'dev');
    expect(p?.id).toBe('0123abcd0123abcd');
    expect(secretMatches(p?.secret as string, hash)).toBe(true);
    expect(secretMatches('x'.repeat(43), hash)).toBe(false);
    expect(parseToken(token, 'adm')).toBeNull();
    expect(parseToken('dev.zz.' + 'a'.repeat(43), 'dev')).toBeNull();
  });

  it('makes enrolment codes that survive retyping', () => {
    const code = newEnrolmentCode();
    expect(normaliseEnrolmentCode(code.toLowerCase().replace(/-/g, ' '))).toBe(code.replace(/-/g, ''));
    expect(normaliseEnrolmentCode('OOOO-IIII-LLLL')).toBe('000011111111');
    expect(normaliseEnrolmentCode('UUUU-UUUU-UUUU')).toBeNull();
    expect(normaliseEnrolmentCode('short')).toBeNull();
  });
});
