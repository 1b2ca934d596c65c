// MQTT out of a real runtime: the device runtime on simulated hardware, its status hub followed by the MQTT
// publisher (mqtt.js) connected to a real broker (aedes on loopback); a real subscriber checks the Home Assistant
// discovery config, the state after verdicts, door and alarm changes, the last will, and that no byte of any
// message carries the pass.
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDecoder } from '../../device/decode/index.js';
import type { FrameDecoder } from '../../device/decode/index.js';
import { mqttOptionsSchema, startMqtt } from '../../device/mqtt/index.js';
import type { MqttPublisher } from '../../device/mqtt/index.js';
import { StatusHub } from '../../device/status/hub.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import { DEFAULT_SIM_PINS } from '../../hardware/gpio/sim.js';
import { SITE, T0_S } from '../support/deployment.js';
import { silentLog } from '../support/log.js';
import { Subscriber, TestBroker } from './helpers/broker.js';
import { Harness } from './helpers/harness.js';

const PREFIX = `gatecode/${SITE}/north-1`;
const NODE = `gatecode_${SITE}_north-1`;
const VERSION = '9.8.7-test';

let decoder: FrameDecoder;
let broker: TestBroker;
let h: Harness | null = null;
let pub: MqttPublisher | null = null;
let sub: Subscriber | null = null;

beforeAll(async () => {
  decoder = await createDecoder({ engine: 'zxing' });
});
afterAll(async () => {
  await decoder.close();
});
afterEach(async () => {
  await pub?.close();
  await sub?.close();
  await h?.stop();
  await broker?.close();
  pub = null;
  sub = null;
  h = null;
});

async function setUp(): Promise<{ h: Harness; pub: MqttPublisher; sub: Subscriber }> {
  broker = await TestBroker.start();
  sub = await Subscriber.connect(broker.url, ['homeassistant/#', 'gatecode/#']);
  h = await Harness.start({ decoder });
  const options = mqttOptionsSchema.parse({ url: broker.url });
  pub = await startMqtt(options, { site: SITE, gate: 'north-1', version: VERSION }, h.hub, silentLog(), {
    backoffBaseMs: 50,
    backoffMaxMs: 200,
  });
  await sub.waitFor((m) => m.topic === `${PREFIX}/availability` && m.payload === 'online');
  return { h, pub, sub };
}

/** Every config message the subscriber saw, by topic (the newest). */
function discovery(s: Subscriber): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const m of s.messages)
    if (m.topic.startsWith('homeassistant/')) out.set(m.topic, JSON.parse(m.payload) as Record<string, unknown>);
  return out;
}

describe('MQTT publisher on a real broker', { timeout: 60_000 }, () => {
  it('announces the gate to Home Assistant: discovery config with the device block, then every entity’s state', async () => {
    const { sub } = await setUp();
    // The door is wired on the simulated pins; occupancy appears once counted.
    await sub.waitFor((m) => m.topic === `homeassistant/binary_sensor/${NODE}/door/config`);
    await sub.waitFor((m) => m.topic === `${PREFIX}/counters`);
    const configs = discovery(sub);
    const topics = [...configs.keys()].sort();
    for (const t of [
      `homeassistant/binary_sensor/${NODE}/relay/config`,
      `homeassistant/binary_sensor/${NODE}/door/config`,
      `homeassistant/binary_sensor/${NODE}/server/config`,
      `homeassistant/binary_sensor/${NODE}/alarm_door_forced/config`,
      `homeassistant/binary_sensor/${NODE}/alarm_door_held_open/config`,
      `homeassistant/binary_sensor/${NODE}/alarm_fire_release/config`,
      `homeassistant/binary_sensor/${NODE}/alarm_lockdown/config`,
      `homeassistant/binary_sensor/${NODE}/alarm_tamper/config`,
      `homeassistant/sensor/${NODE}/verdict_colour/config`,
      `homeassistant/sensor/${NODE}/verdict_reason/config`,
      `homeassistant/sensor/${NODE}/entries/config`,
      `homeassistant/sensor/${NODE}/exits/config`,
      `homeassistant/sensor/${NODE}/denied/config`,
    ]) {
      expect(topics).toContain(t);
    }
    const door = configs.get(`homeassistant/binary_sensor/${NODE}/door/config`);
    expect(door).toMatchObject({
      name: 'Door',
      unique_id: `${NODE}_door`,
      state_topic: `${PREFIX}/door`,
      device_class: 'door',
      payload_on: 'ON',
      payload_off: 'OFF',
      availability_topic: `${PREFIX}/availability`,
      payload_available: 'online',
      payload_not_available: 'offline',
      device: {
        identifiers: [NODE],
        name: `gatecode ${SITE}/north-1`,
        manufacturer: 'gatecode',
        model: 'gatecode checkpoint',
        sw_version: VERSION,
      },
      origin: { name: 'gatecode', sw_version: VERSION },
    });
    // Unique ids are unique; every entity shares the one device.
    const ids = [...configs.values()].map((c) => c['unique_id']);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of configs.values()) expect(c['device']).toEqual(door?.['device']);
    // Every entity's state topic has a retained state (verdict only after the first verdict).
    const stateTopics = new Set([...configs.values()].map((c) => c['state_topic'] as string));
    stateTopics.delete(`${PREFIX}/verdict`);
    for (const t of stateTopics) {
      await sub.waitFor((m) => m.topic === t);
    }
    expect(sub.last(`${PREFIX}/relay`)).toBe('OFF');
    expect(sub.last(`${PREFIX}/door`)).toBe('OFF');
    expect(sub.last(`${PREFIX}/alarm/door-forced`)).toBe('OFF');
    // Retained on the broker: a subscriber that comes later gets the config and state at once.
    const late = await Subscriber.connect(broker.url, [
      `${PREFIX}/relay`,
      `homeassistant/sensor/${NODE}/entries/config`,
    ]);
    try {
      const got = await late.waitFor((m) => m.topic === `${PREFIX}/relay`);
      expect(got).toMatchObject({ payload: 'OFF', retain: true });
      await late.waitFor((m) => m.topic.endsWith('/entries/config') && m.retain);
    } finally {
      await late.close();
    }
  });

  it('publishes the last verdict’s colour and reason, the relay and the counters after a green and a red', async () => {
    const { h, sub } = await setUp();
    const green = h.d.pass();
    const from = sub.messages.length;
    expect(await h.decideFrame(await renderPhoneScene(green.text, { seed: 31 }))).toMatchObject({ colour: 'green' });
    const v1 = await sub.waitFor((m) => m.topic === `${PREFIX}/verdict`, from);
    expect(JSON.parse(v1.payload)).toMatchObject({ colour: 'green', reason: 'OK', opened: true });
    expect(Object.keys(JSON.parse(v1.payload) as object).sort()).toEqual(['at', 'colour', 'opened', 'reason']);
    await sub.waitFor((m) => m.topic === `${PREFIX}/relay` && m.payload === 'ON', from);
    h.advance(1000); // the pulse ends; the tick counts
    await sub.waitFor((m) => m.topic === `${PREFIX}/relay` && m.payload === 'OFF', from);

    const red = h.d.pass({ colour: 'red' });
    const mark = sub.messages.length;
    expect(await h.decideFrame(await renderPhoneScene(red.text, { seed: 32 }))).toMatchObject({ opens: false });
    const v2 = await sub.waitFor((m) => m.topic === `${PREFIX}/verdict`, mark);
    const red2 = JSON.parse(v2.payload) as { colour: string; reason: string; opened: boolean };
    expect(red2).toMatchObject({ colour: 'red', opened: false });
    expect(red2.reason).toMatch(/^[A-Z_]+$/);
    h.advance(1000);
    const counters = await sub.waitFor(
      (m) => m.topic === `${PREFIX}/counters` && (JSON.parse(m.payload) as { denied: number }).denied >= 1,
      mark,
    );
    expect(JSON.parse(counters.payload)).toMatchObject({ denied: 1 });
    // No pass byte in anything the device sent or the subscriber got: not the id, its keyed hash, the revocation
    // id or the pass text.
    assertNoPassBytes([green, red], h);
  });

  it('publishes door and alarm changes as they happen, and only what changed', async () => {
    const { h, sub, pub } = await setUp();
    await sub.waitFor((m) => m.topic === `${PREFIX}/counters`);
    // Quiet: ticks with nothing changing publish nothing.
    await settle();
    const before = deviceMessages().length;
    h.advance(3000);
    await settle();
    expect(
      deviceMessages()
        .slice(before)
        .map((m) => m.topic),
    ).toEqual([]);

    // The door opens without a grant: door ON and the forced-open alarm, straight away.
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const mark = sub.messages.length;
      const t0 = performance.now();
      h.gpio.setInput('door', true);
      const alarm = await sub.waitFor((m) => m.topic === `${PREFIX}/alarm/door-forced` && m.payload === 'ON', mark);
      latencies.push(alarm.at - t0);
      await sub.waitFor((m) => m.topic === `${PREFIX}/door` && m.payload === 'ON', mark);
      expect(JSON.parse(sub.last(`${PREFIX}/alarms`) ?? '[]')).toContain('door-forced');
      const closed = sub.messages.length;
      h.gpio.setInput('door', false);
      await sub.waitFor((m) => m.topic === `${PREFIX}/alarm/door-forced` && m.payload === 'OFF', closed);
      await sub.waitFor((m) => m.topic === `${PREFIX}/door` && m.payload === 'OFF', closed);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `door-forced alarm → MQTT subscriber (aedes, loopback), ms: median ${latencies[2]?.toFixed(1)}, max ${latencies[4]?.toFixed(1)}`,
    );
    expect(pub.stats).toMatchObject({ connected: true, dropped: 0 });
  });

  it('the broker publishes the last will `offline` when the connection dies; the gate reconnects and says online', async () => {
    const started = await setUp();
    const pub = started.pub;
    broker.dropConnections(); // the subscriber's too: connect a new one to the same broker
    await started.sub.close();
    const s2 = await Subscriber.connect(broker.url, [`${PREFIX}/availability`]);
    sub = s2;
    // The device's socket died without DISCONNECT: the broker sent (and retained) its will.
    const first = await s2.waitFor((m) => m.topic === `${PREFIX}/availability`);
    expect(['offline', 'online']).toContain(first.payload);
    await s2.waitFor((m) => m.topic === `${PREFIX}/availability` && m.payload === 'online');
    expect(pub.stats.connects).toBeGreaterThanOrEqual(2);
    // The will is what aedes published on the device's behalf: prove it by killing only the device.
    const clientId = `gatecode-${SITE}-north-1`;
    const idx = s2.messages.length;
    const conn = findClientSocket(clientId);
    conn.destroy();
    await s2.waitFor((m) => m.topic === `${PREFIX}/availability` && m.payload === 'offline', idx);
    await s2.waitFor((m) => m.topic === `${PREFIX}/availability` && m.payload === 'online', idx);
    // A clean stop says offline itself (retained).
    const end = s2.messages.length;
    await pub.close();
    await s2.waitFor((m) => m.topic === `${PREFIX}/availability` && m.payload === 'offline', end);
    const last = deviceMessages().at(-1);
    expect(last).toMatchObject({ topic: `${PREFIX}/availability`, retain: true });
    expect(last?.payload.toString()).toBe('offline');
  });
});

describe('each alarm over MQTT', { timeout: 60_000 }, () => {
  it('reaches a subscriber within milliseconds of being raised, and its end too', async () => {
    broker = await TestBroker.start();
    sub = await Subscriber.connect(broker.url, ['gatecode/#']);
    const s = sub;
    h = await Harness.start({
      decoder,
      pins: {
        relay: DEFAULT_SIM_PINS.relay,
        inputs: {
          ...DEFAULT_SIM_PINS.inputs,
          fire: { pin: 24, polarity: 'active-high', debounceMs: 0 },
          lockdown: { pin: 25, polarity: 'active-low', debounceMs: 0 },
          tamper: { pin: 26, polarity: 'active-high', debounceMs: 0 },
        },
      },
      // Stale once the data is older than 2 h (it is 1 h old at the start); the sunset 3 h in.
      bundle: { maxOfflineAgeSeconds: 7200, sunset: T0_S + 3 * 3600 },
    });
    const x = h;
    pub = await startMqtt(
      mqttOptionsSchema.parse({ url: broker.url }),
      { site: SITE, gate: 'north-1', version: null },
      x.hub,
      silentLog(),
    );
    await s.waitFor((m) => m.topic === `${PREFIX}/counters`);
    const rows: string[] = [];
    const measure = async (alarm: string, raise: () => void, how: string): Promise<void> => {
      const mark = s.messages.length;
      const t0 = performance.now();
      raise();
      const got = await s.waitFor((m) => m.topic === `${PREFIX}/alarm/${alarm}` && m.payload === 'ON', mark);
      rows.push(`${alarm.padEnd(15)} ${(got.at - t0).toFixed(1).padStart(6)} ms  (${how})`);
      expect(JSON.parse(s.last(`${PREFIX}/alarms`) ?? '[]')).toContain(alarm);
    };
    await measure('door-forced', () => x.gpio.setInput('door', true), 'door opened without a grant');
    await measure('door-held-open', () => x.advance(30_000), 'door open for heldOpenSeconds');
    x.gpio.setInput('door', false);
    await measure('fire-release', () => x.gpio.setInput('fire', true), 'fire loop opened');
    x.gpio.setInput('fire', false);
    await measure('lockdown', () => x.gpio.setInput('lockdown', true), 'lockdown input on');
    x.gpio.setInput('lockdown', false);
    await s.waitFor((m) => m.topic === `${PREFIX}/alarm/lockdown` && m.payload === 'OFF');
    await measure('tamper', () => x.gpio.setInput('tamper', true), 'enclosure loop opened');
    x.gpio.setInput('tamper', false);
    await s.waitFor((m) => m.topic === `${PREFIX}/alarm/tamper` && m.payload === 'OFF');
    await measure('stale-data', () => x.clock.jump(3601_000), 'data older than the offline age, at the 1 s tick');
    await measure('sunset', () => x.clock.jump(3 * 3600_000), 'sunset reached, at the 1 s tick');
    console.log(`alarm raised → MQTT subscriber (aedes, loopback), one sample each:\n  ${rows.join('\n  ')}`);
    for (const a of ['door-forced', 'door-held-open', 'fire-release', 'lockdown', 'tamper'])
      expect(s.last(`${PREFIX}/alarm/${a}`)).toBe('OFF');
  });
});

describe('MQTT publisher against a broker that stops acknowledging', { timeout: 60_000 }, () => {
  it('keeps what it hands out and what waits bounded, dropping the oldest; the latest state wins once it answers', async () => {
    broker = await TestBroker.start();
    sub = await Subscriber.connect(broker.url, ['gatecode/#']);
    const hub = new StatusHub();
    pub = await startMqtt(
      mqttOptionsSchema.parse({ url: broker.url }),
      { site: 'north', gate: 'g', version: null },
      hub,
      silentLog(),
      {
        maxInFlight: 2,
        maxQueue: 5,
      },
    );
    const p = pub;
    await sub.waitFor((m) => m.topic === 'gatecode/north/g/counters');
    const release = broker.holdPublishes();
    const alarms: string[] = [];
    for (let i = 0; i < 20; i++) {
      alarms.push(`test-alarm-${i}`); // each new alarm: a state topic, a discovery config and the alarm list
      hub.update({ alarms });
      await settle();
      expect(p.stats.queued).toBeLessThanOrEqual(5);
      expect(p.stats.inFlight).toBeLessThanOrEqual(2);
    }
    expect(p.stats.dropped).toBeGreaterThan(0);
    expect(p.stats.inFlight).toBe(2);
    const mark = sub.messages.length;
    release(); // once the queue has drained, what was dropped and is still current is queued again
    const list = await sub.waitFor(
      (m) => m.topic === 'gatecode/north/g/alarms' && (JSON.parse(m.payload) as string[]).length === 20,
      mark,
    );
    expect(JSON.parse(list.payload)).toContain('test-alarm-19');
    await sub.waitFor((m) => m.topic === 'gatecode/north/g/alarm/test-alarm-0' && m.payload === 'ON', mark);
    await sub.waitFor((m) => m.topic === 'gatecode/north/g/alarm/test-alarm-19' && m.payload === 'ON', mark);
  });
});

/** What the gate's client sent to the broker, as received there. */
function deviceMessages(): { topic: string; payload: Buffer; retain: boolean }[] {
  return broker.received.filter((m) => m.clientId === `gatecode-${SITE}-north-1`);
}

function findClientSocket(clientId: string): { destroy(): void } {
  const clients = (broker.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients;
  const c = clients[clientId];
  if (!c) throw new Error(`client ${clientId} not connected`);
  return c.conn;
}

/** Let scheduled flushes and socket writes run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
}

function assertNoPassBytes(passes: { text: string; passId: string; revocationId: string }[], x: Harness): void {
  const all = Buffer.concat([
    ...broker.received.map((m) => Buffer.concat([Buffer.from(m.topic), m.payload])),
    ...(sub?.messages ?? []).map((m) => Buffer.from(m.topic + m.payload)),
  ]);
  expect(all.length).toBeGreaterThan(1000);
  for (const p of passes) {
    const hash = x.store.passHash(p.passId);
    const needles = [p.passId, p.revocationId, hash, p.text.slice(0, 40)];
    if (/^[0-9a-f]+$/i.test(hash)) needles.push(Buffer.from(hash, 'hex').toString('base64url'));
    for (const n of needles)
      expect(all.includes(Buffer.from(n)), `published bytes contain ${n.slice(0, 8)}…`).toBe(false);
  }
}
