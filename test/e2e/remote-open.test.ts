// Remote open end to end on loopback: a real sync server, a real device (startDevice on simulated GPIO, camera and
// LEDs) enrolled with it, the real push channel between them. The admin call reaches the relay; a replayed or
// expired command opens nothing; an offline gate is refused with GATE_OFFLINE; an operator token opens but cannot
// issue passes; the lockdown command turns passes red with LOCKDOWN; both audit trails hold every command.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevice, STORE_FILE } from '../../device/boot.js';
import type { RunningDevice } from '../../device/boot.js';
import type { Decision } from '../../device/decide.js';
import { openStore } from '../../device/store/index.js';
import { enrol } from '../../device/sync/enrolment.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import type { PushCommand } from '../../protocol/api/device.js';
import { generateSigningKey } from '../../protocol/keys.js';
import { signRemoteOpen } from '../../protocol/remote-open.js';
import { SITE } from '../support/deployment.js';
import { silentLog } from '../support/log.js';
import { startRealServer } from '../support/real-server.js';
import { simDeviceConfig } from '../support/sim-device.js';

let env: Awaited<ReturnType<typeof startRealServer>>;
let device: RunningDevice;
let dir: string;

beforeAll(async () => {
  env = await startRealServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-remote-'));
  const store = openStore(path.join(dir, 'data', STORE_FILE));
  try {
    await enrol({ store, uri: await env.admin.enrolmentUri(), name: 'front door' });
  } finally {
    store.close();
  }
  const config = simDeviceConfig(dir, {
    sync: { pollIntervalSeconds: 600, jitter: 0 },
  });
  device = await startDevice(config, { log: silentLog() });
  await until(() => env.server.services.push.connected().length === 1);
}, 60_000);

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(async () => {
  await device?.stop();
  await env?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const pulses = (): number => device.hardware.sim?.gpio?.pulses.length ?? -1;
const deviceEvents = (): string[] => device.store.pendingEvents(1000).map((e) => e.reason);

/** Push a command signed with the server's root key straight down the device's stream; the device's ack. */
async function pushSigned(bytes: Uint8Array) {
  const { push } = env.server.services;
  const [gate] = push.connected();
  const id = randomBytes(12).toString('hex');
  const message: PushCommand = { id, kind: 'open', command: Buffer.from(bytes).toString('base64url') };
  return push.request(gate!.deviceId, 'command', id, message, 3000);
}

describe('remote open over the push channel', { timeout: 60_000 }, () => {
  it('lists the connected gate, and an open from the admin API reaches the relay once', async () => {
    const gates = await env.admin.call<{ gates: { site: string; gate: string; name: string | null }[] }>(
      'GET',
      '/api/admin/gates',
    );
    expect(gates.body.gates).toEqual([expect.objectContaining({ site: SITE, gate: 'n1', name: 'front door' })]);
    const before = pulses();
    const r = await env.admin.call<{ result: string; gate: string; ms: number }>('POST', '/api/admin/gates/open', {
      gate: 'n1',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ result: 'done', gate: 'n1', site: SITE, reason: null });
    expect(pulses()).toBe(before + 1);
    expect(deviceEvents()).toContain('REMOTE_OPEN');
  });

  it('refuses a replayed command (same nonce) and an expired one; the relay stays put', async () => {
    const root = env.server.services.core.keys.root();
    const now = Math.floor(Date.now() / 1000);
    const nonce = randomBytes(16).toString('hex');
    const bytes = signRemoteOpen({ site: SITE, gate: 'n1', issuedAt: now, expiresAt: now + 5, nonce }, root);
    const before = pulses();
    expect(await pushSigned(bytes)).toMatchObject({ ok: true });
    expect(await pushSigned(bytes)).toMatchObject({ ok: false, reason: 'REPLAYED' });
    const stale = signRemoteOpen(
      { site: SITE, gate: 'n1', issuedAt: now - 60, expiresAt: now - 55, nonce: randomBytes(16).toString('hex') },
      root,
    );
    expect(await pushSigned(stale)).toMatchObject({ ok: false, reason: 'EXPIRED' });
    expect(pulses()).toBe(before + 1);
    expect(deviceEvents()).toEqual(
      expect.arrayContaining(['REMOTE_OPEN_REFUSED:REPLAYED', 'REMOTE_OPEN_REFUSED:EXPIRED']),
    );
  });

  it('refuses a command not signed by the root key (a forged one from a compromised HTTP layer)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = signRemoteOpen(
      { site: SITE, gate: 'n1', issuedAt: now, expiresAt: now + 5, nonce: randomBytes(16).toString('hex') },
      generateSigningKey('intruder'),
    );
    const before = pulses();
    expect(await pushSigned(forged)).toMatchObject({ ok: false, reason: 'BAD_COMMAND' });
    expect(pulses()).toBe(before);
  });

  it('gives an offline gate the clear refusal GATE_OFFLINE', async () => {
    const r = await env.admin.call('POST', '/api/admin/gates/open', { gate: 'south-9' });
    expect(r).toEqual({ status: 409, body: { error: 'GATE_OFFLINE', detail: 'not-connected' } });
  });

  it('lets an operator token open a gate, and nothing else (403 ROLE_FORBIDDEN)', async () => {
    const made = await env.admin.call<{ token: string; id: string }>('POST', '/api/admin/operators', {
      name: 'guard desk',
    });
    expect(made.status).toBe(201);
    const asOperator = async (method: string, p: string, body?: object) => {
      const res = await fetch(env.server.url + p, {
        method,
        headers: {
          authorization: `Bearer ${made.body.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const before = pulses();
    expect(await asOperator('POST', '/api/admin/gates/open', { gate: 'n1' })).toMatchObject({
      status: 200,
      body: { result: 'done' },
    });
    expect(pulses()).toBe(before + 1);
    const refused = { status: 403, body: { error: 'ROLE_FORBIDDEN', detail: 'operator' } };
    expect(await asOperator('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 60 })).toEqual(refused);
    expect(await asOperator('POST', '/api/admin/gates/lockdown', { gate: 'n1', on: true })).toEqual(refused);
    expect(await asOperator('GET', '/api/admin/audit')).toEqual(refused);
    expect(await asOperator('POST', '/api/admin/operators', {})).toEqual(refused);
    // Revoked, the operator token opens nothing.
    expect((await env.admin.call('POST', `/api/admin/operators/${made.body.id}/revoke`)).status).toBe(200);
    expect((await asOperator('POST', '/api/admin/gates/open', { gate: 'n1' })).status).toBe(401);
  });

  it('locks the gate down by the signed command: a pass is red with LOCKDOWN until it is lifted', async () => {
    const pass = await env.admin.issue('green');
    const decide = async (seed: number): Promise<Decision | null> => {
      const decided = new Promise<Decision | null>((resolve) => {
        const off = device.runtime.pipeline.onDecision((o) => (off(), resolve(o.decision)));
      });
      await device.hardware.sim?.camera?.push(await renderPhoneScene(pass.text, { seed }));
      return decided;
    };
    await device.sync?.syncNow();
    const on = await env.admin.call<{ result: string; lockdown: boolean | null }>('POST', '/api/admin/gates/lockdown', {
      gate: 'n1',
      on: true,
    });
    expect(on.body).toMatchObject({ result: 'done', lockdown: true });
    expect(device.runtime.lockdown).toBe(true);
    expect(device.hub.snapshot().alarms).toContain('lockdown');
    expect(await decide(11)).toMatchObject({ colour: 'red', reason: 'LOCKDOWN', opens: false });
    const off = await env.admin.call('POST', '/api/admin/gates/lockdown', { gate: 'n1', on: false });
    expect(off.body).toMatchObject({ result: 'done', lockdown: false });
    expect(device.runtime.lockdown).toBe(false);
    expect(deviceEvents()).toEqual(expect.arrayContaining(['REMOTE_LOCKDOWN:ON', 'REMOTE_LOCKDOWN:OFF']));
  });

  it('keeps every command in the server audit log and, once uploaded, in the server event log too', async () => {
    const audit = await env.admin.call<{
      entries: { actor: string; action: string; target: string | null; details: Record<string, unknown> | null }[];
    }>('GET', '/api/admin/audit?limit=100');
    const rows = audit.body.entries.map(
      (e) => `${e.actor.split(':')[0]} ${e.action} ${e.target} ${e.details?.['result']}`,
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        `admin gate.open ${SITE}/n1 done`,
        'admin gate.open */south-9 GATE_OFFLINE',
        `operator gate.open ${SITE}/n1 done`,
        `admin gate.lockdown ${SITE}/n1 done`,
      ]),
    );
    expect((await device.sync?.syncNow())?.ok).toBe(true);
    const summary = await env.admin.call<{ summary: { reason: string }[] }>('GET', '/api/admin/events/summary');
    expect(summary.body.summary.map((s) => s.reason)).toEqual(
      expect.arrayContaining(['REMOTE_OPEN', 'REMOTE_OPEN_REFUSED:REPLAYED', 'REMOTE_LOCKDOWN:ON']),
    );
  });
});

describe('gatecode admin gate / operator (the real CLI process)', { timeout: 60_000 }, () => {
  const run = promisify(execFile);
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const argv = [path.resolve('bin/gatecode.js'), 'admin', ...args];
    try {
      const r = await run(process.execPath, argv, {
        env: { ...process.env, GATECODE_SERVER: env.server.url, GATECODE_TOKEN: '' },
        timeout: 30_000,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }
  const asAdmin = () => ['--token-file', env.server.tokenFile];

  it('lists the online gates and opens one: --json for scripts, exit 0 only when the gate opened', async () => {
    const list = await cli('gate', 'list', ...asAdmin());
    expect(list).toMatchObject({ code: 0, stdout: expect.stringContaining(`${SITE}/n1`) });
    const before = pulses();
    const open = await cli('gate', 'open', '--gate', 'n1', '--site', SITE, '--json', ...asAdmin());
    expect(open.code).toBe(0);
    expect(JSON.parse(open.stdout)).toMatchObject({ site: SITE, gate: 'n1', result: 'done' });
    expect(pulses()).toBe(before + 1);
    const plain = await cli('gate', 'open', '--gate', 'n1', ...asAdmin());
    expect(plain).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^${SITE}/n1: opened \\(`)) });
  });

  it('says an offline gate cannot be opened (exit 1), and a usage error exits 2', async () => {
    const offline = await cli('gate', 'open', '--gate', 'south-9', ...asAdmin());
    expect(offline.code).toBe(1);
    expect(offline.stdout).toBe('');
    expect(offline.stderr).toMatch(/409 GATE_OFFLINE.*offline gate cannot be opened remotely/);
    expect((await cli('gate', 'open', ...asAdmin())).code).toBe(2); // no --gate
  });

  it('turns lockdown on and off by command', async () => {
    const on = await cli('gate', 'lockdown', 'on', '--gate', 'n1', ...asAdmin());
    expect(on).toMatchObject({ code: 0, stdout: expect.stringContaining(`${SITE}/n1: lockdown on (`) });
    expect(device.runtime.lockdown).toBe(true);
    expect((await cli('gate', 'list', '--json', ...asAdmin())).stdout).toContain('"lockdown": true');
    expect((await cli('gate', 'lockdown', 'off', '--gate', 'n1', ...asAdmin())).code).toBe(0);
    expect(device.runtime.lockdown).toBe(false);
  });

  it('makes an operator token that opens a gate but is refused anything else, and revokes it', async () => {
    const add = await cli('operator', 'add', '--name', 'night desk', ...asAdmin());
    expect(add.code).toBe(0);
    const token = add.stdout.trim();
    expect(token).toMatch(/^\S+$/);
    expect((await cli('gate', 'open', '--gate', 'n1', '--token', token)).code).toBe(0);
    const refused = await cli('pass', 'list', '--token', token);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/403 ROLE_FORBIDDEN: this token may only list and open gates/);
    const id = /operator token ([0-9a-f]+):/.exec(add.stderr)?.[1];
    const listed = JSON.parse((await cli('operator', 'list', '--json', ...asAdmin())).stdout) as unknown[];
    expect(listed).toContainEqual(expect.objectContaining({ id, name: 'night desk', revokedAt: null }));
    expect(await cli('operator', 'revoke', id!, ...asAdmin())).toMatchObject({
      code: 0,
      stdout: `revoked operator ${id}\n`,
    });
  });
});
