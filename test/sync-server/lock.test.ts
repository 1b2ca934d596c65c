// The data directory lock: atomic between processes, gone with its process however it ends, never carried by a
// copy of the directory.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../sync-server/lock.js';
import { cleanup, openTestServer, tempDir, type TestServer } from '../support/server.js';

const CHILD = fileURLToPath(new URL('./fixtures/lock-child.ts', import.meta.url));

interface Child {
  readonly result: Promise<string>;
  readonly exited: Promise<void>;
  kill(): void;
}

function child(dir: string, startAt: number, holdMs: number): Child {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(startAt), String(holdMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const result = new Promise<string>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    p.on('exit', (code) => (out.includes('\n') ? undefined : reject(new Error(`child exited ${code}: ${out}`))));
  });
  const exited = new Promise<void>((resolve) => p.on('exit', () => resolve()));
  return { result, exited, kill: () => p.kill('SIGKILL') };
}

let dirs: string[] = [];
let s: TestServer | null = null;
afterEach(() => {
  s?.close();
  s = null;
  for (const d of dirs) cleanup(d);
  dirs = [];
});
const newDir = (): string => {
  const d = tempDir();
  dirs.push(d);
  return d;
};

describe('data directory lock', () => {
  it('refuses a second server on the same data dir in this process, and frees the dir on close', () => {
    const dir = newDir();
    s = openTestServer({}, undefined, dir);
    expect(() => openTestServer({}, undefined, dir)).toThrow(DataDirLockedError);
    s.close();
    s = openTestServer({}, undefined, dir);
    expect(fs.statSync(path.join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600);
  });

  it('is held against other processes and released by the kernel when its holder is killed', async () => {
    const dir = newDir();
    const holder = child(dir, Date.now(), 0);
    expect(await holder.result).toBe('locked');
    expect(() => lockDataDir(dir)).toThrow(/in use by another gatecode server/);
    holder.kill();
    await holder.exited;
    // No clean-up ran in the killed process: the lock went with it.
    const unlock = lockDataDir(dir);
    unlock();
  }, 30_000);

  it('goes to exactly one of several processes that try at the same moment, every round', async () => {
    for (let round = 0; round < 2; round++) {
      const dir = newDir();
      // Round 2 starts from a lock file left behind by an earlier holder, as after a crash.
      if (round > 0) lockDataDir(dir)();
      const startAt = Date.now() + 2500;
      const children = Array.from({ length: 4 }, () => child(dir, startAt, 1500));
      const results = await Promise.all(children.map((c) => c.result));
      expect(results.filter((r) => r === 'locked')).toHaveLength(1);
      expect(results.filter((r) => r === 'busy')).toHaveLength(3);
      await Promise.all(children.map((c) => c.exited));
    }
  }, 60_000);

  it('does not travel with a copy: a copied directory starts while the original runs', () => {
    const dir = newDir();
    s = openTestServer({}, undefined, dir);
    const copy = newDir();
    fs.cpSync(dir, copy, { recursive: true });
    expect(fs.existsSync(path.join(copy, LOCK_FILE))).toBe(true);
    const unlock = lockDataDir(copy);
    unlock();
  });

  it('removes the pid file an older version left, whatever pid it names', () => {
    const dir = newDir();
    fs.writeFileSync(path.join(dir, 'server.lock'), `${process.ppid}\n`);
    s = openTestServer({}, undefined, dir);
    expect(fs.existsSync(path.join(dir, 'server.lock'))).toBe(false);
  });
});
