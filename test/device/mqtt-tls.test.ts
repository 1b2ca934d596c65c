// MQTT over TLS with a user name and password: a self-signed CA and broker certificate made by openssl in the test,
// aedes serving TLS on loopback with an authenticate handler, the device config's mqtt section naming the files.
// Also the config section's checks and the refusal of a secret file others can read.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../device/config.js';
import { MqttSetupError, startMqtt, topicContext } from '../../device/mqtt/index.js';
import { discoveryMessages } from '../../device/mqtt/topics.js';
import type { MqttOptions, MqttPublisher } from '../../device/mqtt/index.js';
import { StatusHub } from '../../device/status/hub.js';
import { silentLog } from '../support/log.js';
import { Subscriber, TestBroker } from './helpers/broker.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const USER = 'gate-n1';
const PASSWORD = 'correct horse battery staple';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-mqtt-tls-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** A CA and a broker certificate for 127.0.0.1 signed by it; a second, unrelated CA. */
function makeCerts(): { ca: string; other: string; key: string; cert: string } {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=gatecode test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=someone else',
    '-keyout',
    'other.key',
    '-out',
    'other.pem',
  );
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=broker',
    '-keyout',
    'broker.key',
    '-out',
    'broker.csr',
  );
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'broker.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'broker.pem',
  );
  return {
    ca: path.join(dir, 'ca.pem'),
    other: path.join(dir, 'other.pem'),
    key: fs.readFileSync(path.join(dir, 'broker.key'), 'utf8'),
    cert: fs.readFileSync(path.join(dir, 'broker.pem'), 'utf8'),
  };
}

function passwordFile(name: string, secret: string, mode: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${secret}\n`, { mode });
  fs.chmodSync(file, mode);
  return file;
}

function mqttSection(input: Record<string, unknown>): MqttOptions {
  const c = parseConfig({ version: 2, site: 'north', gate: 'n1', mqtt: input }, { baseDir: dir });
  if (c.mqtt === undefined) throw new Error('no mqtt section');
  return c.mqtt;
}

const place = { site: 'north', gate: 'n1', version: null };

describe.skipIf(!hasOpenssl)('MQTT over TLS with a user name and password', { timeout: 60_000 }, () => {
  let broker: TestBroker;
  let certs: ReturnType<typeof makeCerts>;
  let pub: MqttPublisher | null = null;
  beforeAll(async () => {
    certs = makeCerts();
    broker = await TestBroker.start({
      tls: { key: certs.key, cert: certs.cert },
      auth: { username: USER, password: PASSWORD },
    });
  });
  afterAll(async () => {
    await broker.close();
  });
  afterEach(async () => {
    await pub?.close();
    pub = null;
  });

  it('connects with the CA file and the password file, and publishes', async () => {
    const options = mqttSection({
      url: broker.url,
      username: USER,
      passwordFile: passwordFile('good.secret', PASSWORD, 0o600),
      caFile: 'ca.pem', // relative: resolved against the config file's folder
      discovery: false,
    });
    expect(options.caFile).toBe(certs.ca);
    const sub = await Subscriber.connect(broker.url, ['gatecode/#'], {
      ca: fs.readFileSync(certs.ca),
      username: USER,
      password: PASSWORD,
    });
    try {
      pub = await startMqtt(options, place, new StatusHub(), silentLog());
      await sub.waitFor((m) => m.topic === 'gatecode/north/n1/availability' && m.payload === 'online');
      await sub.waitFor((m) => m.topic === 'gatecode/north/n1/relay' && m.payload === 'OFF');
      expect(sub.messages.some((m) => m.topic.startsWith('homeassistant/'))).toBe(false); // discovery off
    } finally {
      await sub.close();
    }
  });

  it('a wrong password is refused by the broker; nothing is published and the publisher keeps retrying', async () => {
    const options = mqttSection({
      url: broker.url,
      username: USER,
      passwordFile: passwordFile('wrong.secret', 'not it', 0o600),
      caFile: certs.ca,
    });
    const before = broker.received.length;
    pub = await startMqtt(options, place, new StatusHub(), silentLog(), { backoffBaseMs: 20, backoffMaxMs: 50 });
    const p = pub;
    await expect.poll(() => broker.refused.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(p.stats).toMatchObject({ connected: false, connects: 0 });
    expect(broker.received.length).toBe(before);
  });

  it('a broker certificate that does not chain to the configured CA is not trusted', async () => {
    const options = mqttSection({
      url: broker.url,
      username: USER,
      passwordFile: passwordFile('good2.secret', PASSWORD, 0o600),
      caFile: certs.other,
    });
    const refusedBefore = broker.refused.length;
    pub = await startMqtt(options, place, new StatusHub(), silentLog(), { backoffBaseMs: 20, backoffMaxMs: 50 });
    const p = pub;
    await expect.poll(() => p.stats.failures, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(p.stats.connects).toBe(0);
    expect(broker.refused.length).toBe(refusedBefore); // never got as far as sending the password
  });

  it('refuses a password file others can read, before any connection', async () => {
    const options = mqttSection({
      url: broker.url,
      username: USER,
      passwordFile: passwordFile('open.secret', PASSWORD, 0o644),
      caFile: certs.ca,
    });
    const err = await startMqtt(options, place, new StatusHub(), silentLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MqttSetupError);
    expect(err).toMatchObject({ code: 'MQTT_SETUP', reason: 'SECRET_TOO_OPEN', key: 'passwordFile' });
    expect((err as Error).message).toContain('chmod 600');
    expect((err as Error).message).not.toContain(PASSWORD);
    const missing = await startMqtt(
      mqttSection({ url: broker.url, username: USER, passwordFile: 'nope.secret' }),
      place,
      new StatusHub(),
      silentLog(),
    ).catch((e: unknown) => e);
    expect(missing).toMatchObject({ reason: 'SECRET_UNREADABLE', key: 'passwordFile' });
  });
});

describe('the mqtt config section', () => {
  it('defaults: discovery on under homeassistant, QoS 1, retained, no section means no MQTT', () => {
    expect(parseConfig({ site: 'north', gate: 'n1' }).mqtt).toBeUndefined();
    expect(mqttSection({ url: 'mqtt://broker.lan' })).toMatchObject({
      url: 'mqtt://broker.lan',
      discovery: true,
      discoveryPrefix: 'homeassistant',
      qos: 1,
      retain: true,
      keepaliveSeconds: 30,
    });
  });

  it('parses the example in docs/integration.md; its device block is the one discovery sends', () => {
    const doc = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'integration.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## MQTT'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const c = parseConfig({ version: 2, site: 'north', gate: 'n1', ...(parseYaml(yaml) as object) });
    expect(c.mqtt).toMatchObject({ url: 'mqtts://broker.lan:8883', username: 'gate-north-1' });
    const device = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)?.[1] ?? '') as unknown;
    const ctx = topicContext(c.mqtt as MqttOptions, { site: 'north', gate: 'n1', version: '0.1.0' });
    const sent = [...discoveryMessages(new StatusHub().snapshot(), [], ctx).values()];
    expect(sent.length).toBeGreaterThan(0);
    for (const config of sent) expect((JSON.parse(config) as { device: unknown }).device).toEqual(device);
  });

  it('reports every problem at once', () => {
    let err: unknown;
    try {
      parseConfig({
        site: 'north',
        gate: 'n1',
        mqtt: {
          url: 'http://broker.lan',
          passwordFile: 'pw',
          certFile: 'c.pem',
          topicPrefix: 'site/#',
          qos: 3,
          password: 'inline',
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['mqtt.password', 'mqtt.qos', 'mqtt.topicPrefix', 'mqtt.url'].sort());
    // The relations are checked once the keys themselves are valid.
    let err2: unknown;
    try {
      parseConfig({ site: 'north', gate: 'n1', mqtt: { url: 'mqtt://b', passwordFile: 'pw', certFile: 'c.pem' } });
    } catch (e) {
      err2 = e;
    }
    expect((err2 as ConfigError).issues.map((i) => `${i.path}: ${i.message}`).sort()).toEqual([
      'mqtt.certFile: only with an mqtts:// url (TLS)',
      'mqtt.keyFile: certFile and keyFile go together',
      'mqtt.username: required with passwordFile',
    ]);
  });
});
