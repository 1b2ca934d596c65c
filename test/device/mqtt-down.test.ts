// A broker that is away never slows the gate: a whole device (startDevice from a config file's settings, simulated
// hardware, the real decoder and store) decides passes and drives the relay while its MQTT broker hangs the
// connection, refuses it, or drops every connection, just as it does without MQTT.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevice } from '../../device/boot.js';
import type { RunningDevice } from '../../device/boot.js';
import { parseConfig } from '../../device/config.js';
import type { DeviceConfigInput } from '../../device/config.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import type { GreyFrame } from '../../hardware/camera/types.js';
import { ManualClock } from '../support/clock.js';
import { Deployment, SITE, T0_S } from '../support/deployment.js';
import { silentLog } from '../support/log.js';
import { Subscriber, TestBroker } from './helpers/broker.js';

const PASSES = 5;
const d = new Deployment();
let dir: string;
let frames: GreyFrame[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-mqtt-down-'));
  fs.writeFileSync(path.join(dir, 'bundle.cose'), d.bundleBytes());
  frames = [];
  // Each device has its own store (own anti-passback memory), so every run shows the same passes.
  for (let i = 0; i <= PASSES; i++) frames.push(await renderPhoneScene(d.pass().text, { seed: 100 + i }));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A TCP server that accepts connections and never says a word: an MQTT connect to it hangs. */
async function silentServer(): Promise<{ url: string; held: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    held: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A loopback port with nothing listening: connections are refused. */
async function closedPort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `mqtt://127.0.0.1:${port}`;
}

async function start(name: string, mqttUrl: string | null): Promise<RunningDevice> {
  const input: DeviceConfigInput = {
    version: 2,
    site: SITE,
    gate: 'n1',
    dataDir: path.join(dir, name),
    clockTrust: 'host',
    camera: { source: 'sim' },
    hardware: { gpio: 'sim', leds: 'sim' },
    decoder: { worker: false },
    trust: { rootPublicKey: d.rootPublicKey, bundleFile: path.join(dir, 'bundle.cose') },
    ...(mqttUrl !== null ? { mqtt: { url: mqttUrl } } : {}),
  };
  return startDevice(parseConfig(input), { log: silentLog(), clock: new ManualClock(T0_S * 1000) });
}

/**
 * Show `PASSES` + 1 fresh passes one after another (the first warms the decoder up and is not timed); each must
 * open. Returns the frame → decision times, ms.
 */
async function decideAll(device: RunningDevice): Promise<number[]> {
  const times: number[] = [];
  const camera = device.hardware.sim?.camera;
  if (!camera) throw new Error('no simulated camera');
  for (let i = 0; i <= PASSES; i++) {
    const frame = frames[i] as GreyFrame;
    const decided = new Promise<{ opens: boolean } | null>((resolve) => {
      const off = device.runtime.pipeline.onDecision((o) => (off(), resolve(o.decision)));
    });
    const t0 = performance.now();
    await camera.push(frame);
    const decision = await decided;
    if (i > 0) times.push(performance.now() - t0);
    expect(decision).toMatchObject({ opens: true });
    expect(device.hardware.gpio.relay.active).toBe(true); // frame → relay
  }
  return times;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe('a broker that is away never slows a decision', { timeout: 120_000 }, () => {
  const figures: Record<string, number[]> = {};

  it('without MQTT (the baseline)', async () => {
    const device = await start('baseline', null);
    try {
      expect(device.mqtt).toBeNull();
      figures['no mqtt'] = await decideAll(device);
    } finally {
      await device.stop();
    }
  });

  it('with a live broker: the device started from its config publishes each verdict and says offline on stop', async () => {
    const broker = await TestBroker.start();
    const sub = await Subscriber.connect(broker.url, ['gatecode/#']);
    const device = await start('live', broker.url);
    try {
      await sub.waitFor((m) => m.topic === `gatecode/${SITE}/n1/availability` && m.payload === 'online');
      const mark = sub.messages.length;
      figures['live broker'] = await decideAll(device);
      await sub.waitFor((m) => m.topic === `gatecode/${SITE}/n1/verdict` && m.payload.includes('"opened":true'), mark);
      expect(device.mqtt?.stats).toMatchObject({ connected: true, dropped: 0 });
    } finally {
      const end = sub.messages.length;
      await device.stop();
      await sub.waitFor((m) => m.topic === `gatecode/${SITE}/n1/availability` && m.payload === 'offline', end);
      await sub.close();
      await broker.close();
    }
  });

  it('the broker accepts the TCP connection and never answers: start, decisions and stop do not wait', async () => {
    const silent = await silentServer();
    const t0 = performance.now();
    const device = await start('silent', silent.url);
    const started = performance.now() - t0;
    try {
      await expect.poll(() => silent.held()).toBe(1); // the MQTT connect is under way and hangs
      figures['connect hangs'] = await decideAll(device);
      // Every decision completed while the connect was still hanging.
      expect(silent.held()).toBe(1);
      expect(device.mqtt?.stats).toMatchObject({ connected: false, connects: 0, published: 0 });
      expect(started).toBeLessThan(10_000); // far below the connect timeout the start would otherwise wait for
    } finally {
      const s0 = performance.now();
      await device.stop();
      expect(performance.now() - s0).toBeLessThan(10_000);
      await silent.close();
    }
  });

  it('the broker refuses connections: decisions go on, the publisher retries with backoff', async () => {
    const device = await start('refused', await closedPort());
    try {
      figures['connection refused'] = await decideAll(device);
      await expect.poll(() => device.mqtt?.stats.failures ?? 0).toBeGreaterThanOrEqual(1);
      expect(device.mqtt?.stats.connected).toBe(false);
    } finally {
      await device.stop();
    }
  });

  it('the broker drops every connection again and again: decisions go on', async () => {
    const broker = await TestBroker.start();
    const dropper = setInterval(() => broker.dropConnections(), 5);
    const device = await start('dropping', broker.url);
    try {
      figures['connections dropped'] = await decideAll(device);
    } finally {
      clearInterval(dropper);
      await device.stop();
      await broker.close();
    }
  });

  it('without MQTT again (the first run also warms the process up)', async () => {
    const device = await start('baseline-again', null);
    try {
      figures['no mqtt, again'] = await decideAll(device);
    } finally {
      await device.stop();
    }
    const lines = Object.entries(figures).map(
      ([k, v]) => `${k}: median ${median(v).toFixed(1)} ms, max ${Math.max(...v).toFixed(1)} ms`,
    );
    console.log(`frame → decision (relay), ${PASSES} passes each:\n  ${lines.join('\n  ')}`);
  });
});
