// `gatecode admin alarms` and `gatecode admin webhook` against the real `gatecode server` process on loopback and
// a real receiver: a hook is added (secret printed once), a test delivery reaches the receiver signed and shows in
// the delivery log; a device's alarm is listed and acknowledged; usage errors exit 2.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatecodeInProcess, gatecodeSpawned } from '../support/cli.js';
import { ServerProcess } from '../support/server-process.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import type { WebhookReceiver } from '../support/webhook-receiver.js';

let dir = '';
let server: ServerProcess;
let receiver: WebhookReceiver;

const auth = () => ['--server', server.url, '--token-file', path.join(dir, 'data', 'admin.token')];
/** `gatecode admin ARGS` in this process (test/support/cli.ts), and as a process of its own. */
const admin = (args: string[]) => gatecodeInProcess(['admin', ...args, ...auth()]);
const spawned = (args: string[]) => gatecodeSpawned(['admin', ...args, ...auth()]);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  receiver = await startWebhookReceiver();
  server = new ServerProcess(path.join(dir, 'data'));
  await server.start();
}, 30_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await receiver?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('gatecode admin alarms / webhook', { timeout: 60_000 }, () => {
  it('adds a webhook, prints its secret once, and a test delivery arrives signed and is logged', async () => {
    const added = await spawned(['webhook', 'add', '--url', receiver.url, '--events', 'alarm.raised,alarm.cleared']);
    expect(added.code, added.stderr).toBe(0);
    const secret = added.stdout.trim();
    expect(secret).toMatch(/^whsec_/);
    receiver.secret = secret;
    const id = /^webhook ([0-9a-f]+) /.exec(added.stderr)![1]!;
    const listed = await admin(['webhook', 'list', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id, url: receiver.url, events: ['alarm.cleared', 'alarm.raised'] }),
    ]);
    expect(listed.stdout).not.toContain(secret);
    expect((await admin(['webhook', 'test', id])).code).toBe(0);
    for (let i = 0; i < 400 && receiver.received.length === 0; i++) await sleep(10);
    expect(receiver.received[0]).toMatchObject({ event: 'webhook.test', answered: 204, check: { ok: true } });
    let log: { eventType: string; status: string; log: { statusCode: number }[] }[] = [];
    for (let i = 0; i < 200; i++) {
      log = JSON.parse((await admin(['webhook', 'deliveries', id, '--json'])).stdout) as typeof log;
      if (log[0]?.status === 'delivered') break;
      await sleep(20);
    }
    expect(log[0]).toMatchObject({ eventType: 'webhook.test', status: 'delivered', log: [{ statusCode: 204 }] });
    expect((await admin(['webhook', 'deliveries', id])).stdout).toMatch(
      /webhook\.test\s+delivered\s+attempts 1: 204 \d+ms/,
    );
  });

  it("lists a device's alarm and acknowledges it", async () => {
    const code = /code: (\S+)/.exec((await admin(['enrol'])).stdout)![1]!;
    const enrolled = (await (
      await fetch(`${server.url}/api/device/enrol`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, name: 'door 7' }),
      })
    ).json()) as { token: string };
    const res = await fetch(`${server.url}/api/device/alarms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${enrolled.token}` },
      body: JSON.stringify({
        alarms: [{ id: randomBytes(16).toString('hex'), kind: 'fire-release', state: 'raised', at: 1_800_000_000 }],
      }),
    });
    expect(res.status).toBe(201);
    const list = await spawned(['alarms', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^\s+\d+\s+fire-release\s+door 7\s+raised 2027-01-15T08:00:00Z\s+active\s+open$/m);
    const id = /^\s+(\d+)/.exec(list.stdout)![1]!;
    const ack = await admin(['alarms', 'ack', id]);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stderr).toMatch(/acknowledged by admin:/);
    expect((await admin(['alarms', 'list'])).stdout).toBe('');
    const all = JSON.parse((await admin(['alarms', 'list', '--status', 'all', '--json'])).stdout) as {
      status: string;
    }[];
    expect(all).toEqual([expect.objectContaining({ status: 'acknowledged' })]);
    expect((await admin(['alarms', 'ack', '999999'])).code).toBe(1);
  });

  it('refuses bad usage with exit 2', async () => {
    for (const args of [
      ['alarms', 'list', '--status', 'closed'],
      ['alarms', 'ack'],
      ['webhook', 'add', '--url', receiver.url],
      ['webhook', 'add', '--url', receiver.url, '--events', 'pass.issued'],
      ['webhook', 'frobnicate'],
    ]) {
      const r = await (args[1] === 'frobnicate' ? spawned(args) : admin(args));
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toBe('');
    }
    const refused = await admin(['webhook', 'add', '--url', 'file:///etc/passwd', '--events', 'alarm.raised']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/400 VALIDATION_FAILED \(url\)/);
  });
});
