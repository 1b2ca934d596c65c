// Issue 11's restore scenario against real servers on loopback and a real device store: revoke A, back up (the
// CLI, online, from another process), revoke B, sync, restore the backup (the CLI) and start the server from it on
// the same address, revoke C. One poll later C is red at the gate and the device counts its data as fresh only
// because it holds the restored server's list. Before history ids, the device got 304 for `since=3`, took the
// restored server's freshness statement for (version, 3) as its own, and C opened the gate.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../device/store/index.js';
import type { DeviceStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { enrol } from '../../device/sync/enrolment.js';
import { parseConfig } from '../../sync-server/config.js';
import { startServer, type RunningServer } from '../../sync-server/server.js';
import { deviceVerdict } from '../support/real-server.js';

const BIN = fileURLToPath(new URL('../../bin/gatecode.js', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-restore-'));
let server: RunningServer | null = null;
let store: DeviceStore | null = null;

afterAll(async () => {
  await server?.close(100);
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function gatecode(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function start(dataDir: string, port: number): Promise<RunningServer> {
  const config = parseConfig({
    dataDir,
    port,
    host: '127.0.0.1',
    logLevel: 'silent',
    publishDelayMs: 0,
    rateLimit: { perAddress: { ratePerSecond: 1000, burst: 10_000 }, perToken: { ratePerSecond: 1000, burst: 10_000 } },
  });
  return startServer(config);
}

async function call<T>(s: RunningServer, method: string, p: string, body?: object): Promise<T> {
  const token = fs.readFileSync(s.tokenFile, 'utf8').trim();
  const res = await fetch(s.url + p, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe('restore from backup', () => {
  it('revoke A, backup, revoke B, sync, restore, revoke C: C is red within one poll', async () => {
    const data = path.join(dir, 'server');
    server = await start(data, 0);
    const port = server.port;
    const issue = async () =>
      (await call<{ pass: { passId: string }; text: string }>(server!, 'POST', '/api/admin/passes', {
        colour: 'green',
        validForSeconds: 3600,
      })) as { pass: { passId: string }; text: string };
    const revoke = (p: { pass: { passId: string } }) =>
      call(server!, 'POST', `/api/admin/passes/${p.pass.passId}/revoke`);
    const [a, b, c] = [await issue(), await issue(), await issue()];

    store = openStore(path.join(dir, 'device', 'device.db'));
    const { enrolmentUri } = await call<{ enrolmentUri: string }>(server, 'POST', '/api/admin/enrolments', {});
    await enrol({ store, uri: enrolmentUri });
    const client = new SyncClient({ store });
    const verdict = (p: { text: string }): string => deviceVerdict(store!, p.text, client.status().trustDataAt);

    await revoke(a);
    const backupFile = path.join(dir, 'backup.tar');
    const backup = await gatecode(['server', 'backup', '--data', data, '--out', backupFile]); // online
    expect(backup.code, backup.err).toBe(0);
    expect(fs.statSync(backupFile).mode & 0o777).toBe(0o600);
    await revoke(b);
    expect((await client.syncNow()).ok).toBe(true);
    expect(store.revocationSeq()).toBe(3);
    expect([verdict(a), verdict(b), verdict(c)]).toEqual(['red/REVOKED', 'red/REVOKED', 'green/OK']);
    const oldLog = store.revocationInfo().logId;

    await server.close(100);
    server = null;
    fs.renameSync(data, path.join(dir, 'server-before-restore'));
    const restored = await gatecode(['server', 'restore', '--in', backupFile, '--data', data]);
    expect(restored.code, restored.err).toBe(0);
    expect(restored.out).toContain('revoke those passes again');
    server = await start(data, port);
    await revoke(c); // sequence 3 again, in the restored server's new history

    const r = await client.syncNow();
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(verdict(c)).toBe('red/REVOKED');
    expect(verdict(a)).toBe('red/REVOKED');
    // B's revocation was made after the backup: it is gone with the old history (the operator revokes it again).
    expect(verdict(b)).toBe('green/OK');
    const info = store.revocationInfo();
    expect(info.logId).not.toBe(oldLog);
    expect(info.logId).toBe(server.services.core.revocations.logId());
    expect(info.seq).toBe(3);
    // Fresh because it holds the new history's data, and the statement says so.
    expect(client.status().lastError).toBeNull();
    expect(Math.abs(client.status().trustDataAt! - Date.now() / 1000)).toBeLessThan(10);
    const audit = await call<{ entries: { action: string; details: Record<string, unknown> | null }[] }>(
      server,
      'GET',
      '/api/admin/audit?limit=5',
    );
    expect(audit.entries.find((e) => e.action === 'history.start')?.details).toMatchObject({ reason: 'restore' });
  }, 120_000);
});
