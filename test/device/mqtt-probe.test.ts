// `gatecode check` and the MQTT broker: the probe connects once with the gate's settings against a real broker
// (aedes on loopback, user name and password), says why when it cannot, and neither kicks a running gate off nor
// sets its availability to offline; `gatecode check` as a process shows the item.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttOptionsSchema, startMqtt } from '../../device/mqtt/index.js';
import type { MqttOptions } from '../../device/mqtt/index.js';
import { probeBroker } from '../../device/mqtt/probe.js';
import { StatusHub } from '../../device/status/hub.js';
import { silentLog } from '../support/log.js';
import { Subscriber, TestBroker } from './helpers/broker.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/gatecode.js');
const USER = 'gate-g1';
const PASSWORD = 'pa55-word';
const place = { site: 'hq', gate: 'g1', version: null };

let dir: string;
let broker: TestBroker;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-mqtt-probe-'));
  broker = await TestBroker.start({ auth: { username: USER, password: PASSWORD } });
});
afterAll(async () => {
  await broker.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function secret(name: string, value: string, mode = 0o600): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${value}\n`);
  fs.chmodSync(file, mode);
  return file;
}

function options(over: Record<string, unknown>): MqttOptions {
  return mqttOptionsSchema.parse({ url: broker.url, username: USER, ...over });
}

describe('the MQTT broker probe', { timeout: 30_000 }, () => {
  it('connects with the gate’s settings without disturbing the running gate', async () => {
    const good = options({ passwordFile: secret('good', PASSWORD) });
    const sub = await Subscriber.connect(broker.url, ['gatecode/hq/g1/availability'], {
      username: USER,
      password: PASSWORD,
    });
    const pub = await startMqtt(good, place, new StatusHub(), silentLog());
    try {
      await sub.waitFor((m) => m.payload === 'online');
      const mark = sub.messages.length;
      expect(await probeBroker(good, place)).toBeNull();
      await new Promise((r) => setTimeout(r, 200));
      // Its own client id: the gate stayed connected; no will: nobody was told the gate went offline.
      expect(pub.stats).toMatchObject({ connected: true, connects: 1 });
      expect(sub.messages.slice(mark)).toEqual([]);
      expect(broker.received.filter((m) => m.clientId === 'gatecode-hq-g1-check')).toEqual([]);
    } finally {
      await pub.close();
      await sub.close();
    }
  });

  it('says why it could not: a wrong password, a refused port, silence, a password file others can read', async () => {
    expect(await probeBroker(options({ passwordFile: secret('wrong', 'nope') }), place)).toMatch(
      /bad user ?name or password/i,
    );
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await probeBroker(options({ url: `mqtt://127.0.0.1:${port}` }), place)).toMatch(/ECONNREFUSED/);
    const silent = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      expect(await probeBroker(options({ url: `mqtt://127.0.0.1:${silentPort}` }), place, 300)).toBe(
        'no answer within 300 ms',
      );
    } finally {
      silent.close();
    }
    const open = await probeBroker(options({ passwordFile: secret('open', PASSWORD, 0o644) }), place);
    expect(open).toMatch(/^mqtt\.passwordFile: .* can be read by others \(mode 644\): chmod 600 it/);
    expect(open).not.toContain(PASSWORD);
  });
});

/** Run the CLI as a process without blocking this one (the broker answers from here). */
function gatecode(args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

describe('gatecode check with an mqtt section', { timeout: 60_000 }, () => {
  it('shows the broker green when it accepts the gate (the password file read under --root)', async () => {
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc/gatecode'), { recursive: true });
    const pw = path.join(root, 'etc/gatecode/mqtt-password');
    fs.writeFileSync(pw, `${PASSWORD}\n`);
    fs.chmodSync(pw, 0o600);
    const write = (name: string, user: string): string => {
      const file = path.join(dir, name);
      const text = [
        'site: hq',
        'gate: g1',
        `dataDir: ${path.join(dir, 'data')}`,
        'mqtt:',
        `  url: ${broker.url}`,
        `  username: ${user}`,
        '  passwordFile: /etc/gatecode/mqtt-password',
        '',
      ].join('\n');
      fs.writeFileSync(file, text);
      return file;
    };
    // One run (each takes seconds): the red case and its reason are the probe's, tested above.
    const good = await gatecode(['check', '--config', write('good.yaml', USER), '--root', root]);
    expect(good.stdout).toMatch(new RegExp(`^green +mqtt +${broker.url} accepts the gate's connection$`, 'm'));
    expect(good.status).toBe(3); // the Pi's parts are missing here
  });
});
