// The server's history identity on restart, move, copy, a detected gap and a device that is ahead; the
// durability of answered writes; key paths relative to the data directory; backup files refused when damaged.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyBundle, verifyRevocations } from '../../protocol/index.js';
import { backupDataDir, restoreDataDir } from '../../sync-server/backup.js';
import { bytesOf, cleanup, enrolDevice, openTestServer, tempDir, type TestServer } from '../support/server.js';
import { ManualClock } from '../support/clock.js';

let open: TestServer[] = [];
let dirs: string[] = [];
afterEach(() => {
  for (const s of open) s.close();
  for (const d of dirs) cleanup(d);
  open = [];
  dirs = [];
});
const newDir = (): string => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
const server = (dir: string, clock = new ManualClock()): TestServer => {
  const s = openTestServer({}, clock, dir);
  open.push(s);
  return s;
};
const close = (s: TestServer): void => {
  s.close();
  open = open.filter((o) => o !== s);
};
const revokeOne = async (s: TestServer): Promise<void> => {
  const issued = (await (
    await s.admin('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 3600 })
  ).json()) as {
    pass: { passId: string };
  };
  expect((await s.admin('POST', `/api/admin/passes/${issued.pass.passId}/revoke`)).status).toBe(200);
};
const history = (s: TestServer) => ({
  logId: s.services.core.revocations.logId(),
  seq: s.services.core.revocations.seq(),
  bundle: s.services.core.trust.current().version,
  root: s.services.core.keys.root().kid,
});
const keyPaths = (dir: string): string[] => {
  const db = new Database(path.join(dir, 'gatecode.db'), { readonly: true });
  try {
    return db.prepare('SELECT file FROM signing_keys ORDER BY role').pluck().all() as string[];
  } finally {
    db.close();
  }
};

describe('server history', () => {
  it('keeps its log id across restarts and when its directory is moved; key paths are relative', async () => {
    const dir = newDir();
    let s = server(path.join(dir, 'a'));
    await revokeOne(s);
    const before = history(s);
    expect(before.logId).toMatch(/^[0-9a-f]{32}$/);
    close(s);
    expect(keyPaths(path.join(dir, 'a')).every((f) => !path.isAbsolute(f) && f.startsWith('keys/'))).toBe(true);
    fs.renameSync(path.join(dir, 'a'), path.join(dir, 'b')); // the original path is gone
    s = server(path.join(dir, 'b'));
    expect(history(s)).toEqual(before);
    await revokeOne(s); // signs with the moved key files
  });

  it('starts a new history in a copy, which signs with its own key files and outranks the old bundle', async () => {
    const dir = newDir();
    const original = server(path.join(dir, 'a'));
    await revokeOne(original);
    const before = history(original);
    fs.cpSync(path.join(dir, 'a'), path.join(dir, 'copy'), { recursive: true });
    const clock = new ManualClock(original.clock.now() + 5000);
    const copy = server(path.join(dir, 'copy'), clock); // while the original runs
    const after = history(copy);
    expect(after.logId).not.toBe(before.logId);
    expect(after.seq).toBe(before.seq);
    expect(after.bundle).toBeGreaterThanOrEqual(clock.seconds); // above anything the original may publish
    expect(after.root).toBe(before.root);
    expect(history(original).logId).toBe(before.logId);
    // The copy's key files are its own: the original's directory can go away.
    close(original);
    fs.rmSync(path.join(dir, 'a'), { recursive: true });
    close(copy);
    const again = server(path.join(dir, 'copy'), clock);
    expect(history(again).logId).toBe(after.logId);
    await revokeOne(again);
  });

  it('rewrites absolute key paths of older versions, to this directory’s own files in a copy', async () => {
    const dir = newDir();
    const s = server(path.join(dir, 'a'));
    close(s);
    const db = new Database(path.join(dir, 'a', 'gatecode.db'));
    db.prepare("UPDATE signing_keys SET file = '/elsewhere/data/keys/' || replace(file, 'keys/', '')").run();
    db.close();
    fs.cpSync(path.join(dir, 'a'), path.join(dir, 'copy'), { recursive: true });
    const copy = server(path.join(dir, 'copy'));
    close(copy);
    expect(keyPaths(path.join(dir, 'copy')).every((f) => f.startsWith('keys/'))).toBe(true);
  });

  it('starts a new history when the publish directory names a later step than the database holds', async () => {
    const dir = newDir();
    const s = server(dir);
    await revokeOne(s);
    const before = history(s);
    close(s);
    const index = path.join(dir, 'publish', 'index.json');
    const published = JSON.parse(fs.readFileSync(index, 'utf8')) as Record<string, unknown>;
    expect(published['logId']).toBe(before.logId);
    fs.writeFileSync(index, JSON.stringify({ ...published, revocationSeq: before.seq + 1 })); // a lost step
    const after = history(server(dir));
    expect(after.logId).not.toBe(before.logId);
  });

  it('starts a new history when a device of this history is ahead, instead of a 409 loop, at most every 10 min', async () => {
    const s = server(newDir());
    const dev = await enrolDevice(s);
    const root = Buffer.from(dev.rootPublicKey, 'base64url');
    const bundle = verifyBundle(await bytesOf(await s.device(dev.token, 'GET', '/api/device/bundle')), root);
    const log = history(s).logId;
    const res = await s.device(dev.token, 'GET', `/api/device/revocations?since=9&log=${log}`);
    expect(res.status).toBe(200);
    const snap = verifyRevocations(await bytesOf(res), { rootPublicKey: root, bundle });
    expect(snap.kind).toBe('snapshot');
    expect(snap.logId).not.toBe(log);
    const second = history(s).logId;
    expect(snap.logId).toBe(second);
    // A token that keeps claiming to be ahead does not make every gate refetch: within 10 minutes, no new history.
    await s.device(dev.token, 'GET', `/api/device/revocations?since=9&log=${second}`);
    expect(history(s).logId).toBe(second);
    s.clock.jumpSeconds(601);
    await s.device(dev.token, 'GET', `/api/device/revocations?since=9&log=${second}`);
    expect(history(s).logId).not.toBe(second);
  });
});

describe('durability', () => {
  it('forgets its in-memory sequence, history and policy when a change rolls back', () => {
    const s = server(newDir());
    const core = s.services.core;
    const before = { ...history(s), policy: core.trust.policy() };
    expect(() =>
      core.change({ revocations: true }, (now) => {
        core.revocations.addStep([{ revocationId: 'ab'.repeat(16), expiresAt: now + 3600 }], now);
        core.trust.setPolicy({ ...core.trust.policy(), maxOfflineAgeSeconds: 1 });
        throw new Error('fails after writing');
      }),
    ).toThrow('fails after writing');
    expect({ ...history(s), policy: core.trust.policy() }).toEqual(before);
  });

  it('commits admin changes with synchronous = FULL and only event uploads with NORMAL', async () => {
    const s = server(newDir());
    const core = s.services.core;
    expect(core.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(core.change({}, () => core.db.pragma('synchronous', { simple: true }))).toBe(2);
    expect(core.change({ durable: false }, () => core.db.pragma('synchronous', { simple: true }))).toBe(1);
    expect(core.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(() =>
      core.change({ durable: false }, () => {
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(core.db.pragma('synchronous', { simple: true })).toBe(2);
    await revokeOne(s);
  });
});

describe('backup and restore', () => {
  it('backs up a running server into a 0600 file and restores it as a new history with relative key paths', async () => {
    const dir = newDir();
    const s = server(path.join(dir, 'a'));
    await revokeOne(s);
    const before = history(s);
    const file = path.join(dir, 'backup.tar');
    const manifest = await backupDataDir(path.join(dir, 'a'), file, s.clock.seconds);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(manifest).toMatchObject({ logId: before.logId, revocationSeq: before.seq, bundleVersion: before.bundle });
    const members = Object.keys(manifest.files).sort();
    expect(members).toHaveLength(4);
    expect(members.slice(0, 3)).toEqual([
      'admin.token',
      'gatecode.db',
      expect.stringMatching(/^keys\/issuer-[0-9a-f]{16}\.key$/),
    ]);
    expect(members[3]).toBe('keys/root.key');
    await revokeOne(s); // after the backup: not in it
    restoreDataDir(file, path.join(dir, 'restored'));
    expect(fs.statSync(path.join(dir, 'restored', 'keys', 'root.key')).mode & 0o777).toBe(0o600);
    expect(() => restoreDataDir(file, path.join(dir, 'restored'))).toThrow(
      expect.objectContaining({ code: 'NOT_EMPTY' }),
    );
    const r = server(path.join(dir, 'restored'), new ManualClock(s.clock.now() + 1000));
    const after = history(r);
    expect(after).toMatchObject({ seq: before.seq, root: before.root });
    expect(after.logId).not.toBe(before.logId);
    expect(r.services.core.audit.list({ limit: 5 }).find((e) => e.action === 'history.start')?.details).toMatchObject({
      reason: 'restore',
    });
    expect(keyPaths(path.join(dir, 'restored')).every((f) => f.startsWith('keys/'))).toBe(true);
  });

  it('refuses a damaged or foreign backup file and leaves the target directory untouched', async () => {
    const dir = newDir();
    const s = server(path.join(dir, 'a'));
    const file = path.join(dir, 'backup.tar');
    await backupDataDir(path.join(dir, 'a'), file, s.clock.seconds);
    const bytes = fs.readFileSync(file);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 2048] = (damaged[damaged.length - 2048] as number) ^ 0xff;
    fs.writeFileSync(path.join(dir, 'damaged.tar'), damaged);
    fs.writeFileSync(path.join(dir, 'text.tar'), 'not a backup at all '.repeat(100));
    fs.writeFileSync(path.join(dir, 'cut.tar'), bytes.subarray(0, 3000));
    for (const f of ['damaged.tar', 'text.tar', 'cut.tar']) {
      expect(() => restoreDataDir(path.join(dir, f), path.join(dir, 'target'))).toThrow(
        expect.objectContaining({ code: 'BAD_BACKUP' }),
      );
    }
    expect(fs.existsSync(path.join(dir, 'target'))).toBe(false);
  });
});
