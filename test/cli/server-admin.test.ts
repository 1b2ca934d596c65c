// The real `gatecode server` process on loopback, driven by the real `gatecode admin` CLI.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectPass } from '../../protocol/index.js';
import { gatecodeInProcess, gatecodeSpawned } from '../support/cli.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/gatecode.js');

let dir = '';
let server: ChildProcess;
let url = '';
let tokenFile = '';
let stdout = '';

/** `gatecode admin ARGS` in a process of its own, as a shell runs it. */
const spawned = (args: string[], env: Record<string, string> = {}) => gatecodeSpawned(['admin', ...args], env);

/** The same in this process (test/support/cli.ts); a few calls of each kind stay spawned. */
const admin = (args: string[], env: Record<string, string> = {}) => gatecodeInProcess(['admin', ...args], env);

const auth = () => ['--server', url, '--token-file', tokenFile];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  server = spawn(process.execPath, [BIN, 'server', '--data', path.join(dir, 'data'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stdout}`)), 20_000);
    server.stdout?.on('data', () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m && /admin token/.test(stdout)) {
        clearTimeout(timer);
        url = m[1] as string;
        resolve();
      }
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  tokenFile = path.join(dir, 'data', 'admin.token');
}, 30_000);

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('gatecode server + gatecode admin', () => {
  it('prints where it listens and where the admin token is', () => {
    expect(stdout).toContain(`admin token written to ${tokenFile}`);
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
  });

  it('issues, lists, recolours and revokes a pass', async () => {
    const png = path.join(dir, 'p.png');
    const svg = path.join(dir, 'p.svg');
    const issued = await spawned([
      'pass',
      'issue',
      '--colour',
      'green',
      '--valid-for',
      '30d',
      '--scope',
      'north,south',
      '--png',
      png,
      '--svg',
      svg,
      ...auth(),
    ]);
    expect(issued.code).toBe(0);
    const text = issued.stdout.trim();
    expect(text).toMatch(/^GC1:/);
    const fields = inspectPass(text) as unknown as { claims: { colour: string; passId: string; scope: string[] } };
    expect(JSON.stringify(fields)).toContain('north');
    expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect(fs.readFileSync(svg, 'utf8')).toContain('<svg');

    const list = await admin(['pass', 'list', '--json', ...auth()]);
    const passes = JSON.parse(list.stdout) as { passId: string; colour: string; status: string }[];
    expect(passes).toHaveLength(1);
    const id = (passes[0] as { passId: string }).passId;

    const recoloured = await admin(['pass', 'colour', id, 'red', ...auth()], {});
    expect(recoloured.code).toBe(0);
    expect(recoloured.stdout.trim()).toMatch(/^GC1:/);
    expect(recoloured.stdout.trim()).not.toBe(text);

    const again = await spawned(['pass', 'revoke', id, ...auth()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409 PASS_NOT_ACTIVE');
  }, 60_000);

  it('makes enrolment codes, shows and sets policy, lists devices, with the token from the environment', async () => {
    const env = { GATECODE_TOKEN: fs.readFileSync(tokenFile, 'utf8').trim(), GATECODE_SERVER: url };
    const enrol = await spawned(['enrol', '--ttl', '10m'], env);
    expect(enrol.code).toBe(0);
    expect(enrol.stdout).toMatch(/^code: [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/m);
    expect(enrol.stdout).toMatch(/^uri: gatecode-enrol:\?u=http%3A%2F%2F127\.0\.0\.1%3A\d+&c=.+&fp=.+$/m);
    const code = /^code: (.+)$/m.exec(enrol.stdout)?.[1] as string;
    const res = await fetch(`${url}/api/device/enrol`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, name: 'west' }),
    });
    expect(res.status).toBe(201);
    // The device is listed once it has used its token.
    const { token } = (await res.json()) as { token: string };
    expect((await admin(['devices', 'list'], env)).stdout).not.toMatch(/ west /);
    expect((await fetch(`${url}/api/device/bundle`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );

    const policy = await admin(
      ['policy', '--yellow', 'deny', '--max-offline', '12h', '--sunset', '2030-01-01T00:00:00Z'],
      env,
    );
    expect(policy.code).toBe(0);
    expect(JSON.parse(policy.stdout)).toMatchObject({
      actions: { yellow: 'deny' },
      maxOfflineAgeSeconds: 43200,
      sunset: 1893456000,
      bundleVersion: 2,
    });

    const devices = await admin(['devices', 'list'], env);
    expect(devices.stdout).toMatch(/ active +west /);
    const deviceId = /^([0-9a-f]+) +active +west /m.exec(devices.stdout)?.[1] as string;

    // A handover roll: the old token works until the gate has fetched and used a new one.
    const roll = await admin(['devices', 'roll', deviceId], env);
    expect(roll.code).toBe(0);
    expect(roll.stdout).toMatch(/^token roll pending for device [0-9a-f]+ .*the old token works until it has$/m);
    const pending = await fetch(`${url}/api/device/bundle`, { headers: { authorization: `Bearer ${token}` } });
    expect([pending.status, pending.headers.get('gatecode-token-roll')]).toEqual([200, 'pending']);
    expect((await admin(['devices', 'list', '--now'], env)).code).toBe(2);
    // --now: the token dies at once and the device is revoked.
    const now = await admin(['devices', 'roll', deviceId, '--now', '--json'], env);
    expect(now.code).toBe(0);
    expect(JSON.parse(now.stdout)).toMatchObject({ mode: 'immediate', device: { status: 'revoked' } });
    expect((await fetch(`${url}/api/device/bundle`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      401,
    );
  }, 60_000);

  it("shows the server's detail and the way out for refusals; red open needs --allow-red-open", async () => {
    const issue = await admin(['pass', 'issue', '--colour', 'green', '--valid-for', '3650d', ...auth()]);
    expect(issue.code).toBe(1);
    expect(issue.stderr).toMatch(
      /409 BEYOND_SUNSET: the pass would outlive the deployment's sunset \(\d{4}-\d\d-\d\dT/,
    );
    expect(issue.stderr).toContain('gatecode admin policy --sunset ISO');
    const red = await admin(['policy', '--red', 'open', ...auth()]);
    expect(red.code).toBe(1);
    expect(red.stderr).toContain('400 CONFIRMATION_REQUIRED');
    expect(red.stderr).toContain('--allow-red-open');
    expect((await admin(['policy', '--allow-red-open', ...auth()])).code).toBe(2);
    const open = await admin(['policy', '--red', 'open', '--allow-red-open', ...auth()]);
    expect(open.code, open.stderr).toBe(0);
    expect(JSON.parse(open.stdout)).toMatchObject({ actions: { red: 'open' } });
    const audit = await admin(['audit', '--limit', '2', ...auth()]);
    expect(audit.stdout).toContain('policy.red-open');
    expect((await admin(['policy', '--red', 'deny', ...auth()])).code).toBe(0);
  }, 60_000);

  it('backs up the running server with `gatecode server backup`; unknown server subcommands exit 2', async () => {
    const out = path.join(dir, 'backup.tar');
    const r = await run(process.execPath, [
      BIN,
      'server',
      'backup',
      '--data',
      path.join(dir, 'data'),
      '--out',
      out,
      '--json',
    ]);
    const manifest = JSON.parse(r.stdout) as { logId: string; files: Record<string, unknown> };
    expect(manifest.logId).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(manifest.files)).toContain('keys/root.key');
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const bad = await run(process.execPath, [BIN, 'server', 'nope']).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toContain('unknown subcommand');
  }, 60_000);

  it('lists enrolment codes with `admin enrol list`; any other word is a usage error, not a new code', async () => {
    const before = await admin(['enrol', 'list', ...auth()]);
    expect(before.code, before.stderr).toBe(0);
    const typo = await admin(['enrol', 'lsit', ...auth()]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('admin enrol list');
    const after = await admin(['enrol', 'list', ...auth()]);
    expect(after.stdout).toBe(before.stdout); // nothing was created
    const open = (text: string) => text.split('\n').filter((l) => /^[0-9a-f]{12} {2}open {4}/.test(l)).length;
    expect((await admin(['enrol', ...auth()])).code).toBe(0);
    expect(open((await admin(['enrol', 'list', ...auth()])).stdout)).toBe(open(before.stdout) + 1);
  }, 60_000);

  it('reports usage errors with exit 2 and a bad token with exit 1', async () => {
    const usage = await spawned(['pass', 'issue', '--colour', 'blue', '--valid-for', '1d', ...auth()]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--colour');
    const noToken = await admin(['pass', 'list', '--server', url], { GATECODE_TOKEN: '' });
    expect(noToken.code).toBe(2);
    const bad = await admin(['pass', 'list', '--server', url, '--token', 'adm.00000000.' + 'A'.repeat(43)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('401 TOKEN_INVALID');
  }, 60_000);

  it('exits 2 without a command or with an unknown one, like every other command', async () => {
    const none = await spawned([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('usage: gatecode admin');
    const unknown = await admin(['frobnicate', ...auth()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown admin command "frobnicate"');
    const help = await admin(['--help']);
    expect(help.code).toBe(0);
  }, 60_000);

  it("shows the server's detail with a refusal", async () => {
    const past = await admin(['policy', '--sunset', '2001-01-01T00:00:00Z', ...auth()]);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('server answered 400 VALIDATION_FAILED (sunset)');
  }, 60_000);

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('gatecode server stopped');
  }, 20_000);
});
