import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeOptions, startDevice, STORE_FILE } from '../../device/boot.js';
import type { RunningDevice } from '../../device/boot.js';
import { parseConfig } from '../../device/config.js';
import type { Decision } from '../../device/decide.js';
import { openStore } from '../../device/store/index.js';
import { STATE_KEYS } from '../../device/store/types.js';
import { enrol } from '../../device/sync/enrolment.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import { Deployment, SITE } from '../support/deployment.js';
import { silentLog } from '../support/log.js';
import { startRealServer } from '../support/real-server.js';
import { simDeviceConfig } from '../support/sim-device.js';

describe('config → runtime options', () => {
  it('maps the defaults', () => {
    const o = runtimeOptions(parseConfig({ site: 'north', gate: 'n1' }), false);
    expect(o.place).toEqual({ site: 'north', gate: 'n1', zone: 'north', direction: 'in' });
    expect(o.decide).toEqual({
      skewSeconds: 300,
      localActions: {},
      localMaxOfflineAgeSeconds: null,
      passbackWindowSeconds: 3600,
      proofWindowSeconds: 30,
    });
    expect(o.gate).toMatchObject({
      relayMode: 'pulse',
      pulseMs: 800,
      grantWindowMs: 10_000,
      heldOpenSeconds: 30,
      rotationTimeoutSeconds: 8,
    });
    expect(o.presence).toEqual({ leaveFrames: 8, holdOffMs: 10_000 });
    expect(o.retentionSeconds).toBe(86_400);
    expect(o.leds.brightness).toBe(0.3);
    expect(o.trust).toEqual({ rootPublicKey: null, bundleFile: null, revocationsFile: null });
  });

  it('maps local policy, directions, anti-passback and the brightness cap of a real ring', () => {
    const c = parseConfig({
      site: 'north',
      gate: 'n1',
      zone: 'hall',
      direction: 'both',
      policy: { green: 'attention', maxOfflineAgeSeconds: 3600 },
      antiPassback: { enabled: false },
      relay: { mode: 'hold', holdMs: 5000 },
      turnstile: { passageTimeoutSeconds: 12 },
      leds: { brightness: 0.2 },
    });
    const o = runtimeOptions(c, true);
    expect(o.place).toMatchObject({ zone: 'hall', direction: null });
    expect(o.decide).toMatchObject({
      localActions: { green: 'attention' },
      localMaxOfflineAgeSeconds: 3600,
      passbackWindowSeconds: 0,
    });
    expect(o.gate).toMatchObject({ relayMode: 'hold', holdMs: 5000, rotationTimeoutSeconds: 12 });
    expect(o.leds.brightness).toBe(1); // the SPI driver applies the 0.2 cap itself
    expect(runtimeOptions(parseConfig({ site: 's', gate: 'g', direction: 'exit' }), false).place.direction).toBe('out');
  });
});

describe('startDevice', () => {
  it(
    'starts a device from a config on simulated hardware and decides a frame pushed into its camera',
    { timeout: 60_000 },
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
      const d = new Deployment();
      const now = Math.floor(Date.now() / 1000);
      fs.writeFileSync(path.join(dir, 'bundle.cose'), d.bundleBytes({ issuedAt: now - 60, sunset: now + 86_400 }));
      const config = simDeviceConfig(dir, {
        trust: { rootPublicKey: d.rootPublicKey, bundleFile: 'bundle.cose' },
      });
      const device = await startDevice(config, { log: silentLog() });
      try {
        expect(device.hardware.kinds).toEqual({ camera: 'sim', gpio: 'sim', leds: 'sim', buzzer: 'none' });
        expect(device.sync).toBeNull(); // not enrolled
        const decided = new Promise((resolve) => device.runtime.pipeline.onDecision((o) => resolve(o.decision)));
        const pass = d.pass({ issuedAt: now - 60, notBefore: now - 60, expiresAt: now + 3600 });
        await device.hardware.sim?.camera?.push(await renderPhoneScene(pass.text, { seed: 5 }));
        expect(await decided).toMatchObject({ colour: 'green', opens: true });
        expect(device.hardware.sim?.gpio?.pulses).toHaveLength(1);
        expect(device.hub.snapshot().identity).toMatchObject({ site: SITE, gate: 'n1', direction: 'in' });
      } finally {
        await device.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
      expect(device.hardware.sim?.gpio?.relay.active).toBe(false);
    },
  );
});

/**
 * An HTTP front for the real server that holds every request until release() and then forwards it: a server that
 * is reachable but does not answer in time.
 */
async function holdingProxy(
  target: string,
): Promise<{ url: string; held(): number; release(): void; close(): Promise<void> }> {
  let released = false;
  const waiting: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const forward = async (): Promise<void> => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers: Record<string, string> = {};
      for (const k of ['authorization', 'content-type', 'if-none-match', 'idempotency-key']) {
        const v = req.headers[k];
        if (typeof v === 'string') headers[k] = v;
      }
      const r = await fetch(target + (req.url ?? '/'), {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = Buffer.from(await r.arrayBuffer());
      const out: Record<string, string> = {};
      for (const k of ['content-type', 'etag', 'date']) {
        const v = r.headers.get(k);
        if (v !== null) out[k] = v;
      }
      res.writeHead(r.status, out).end(body);
    };
    const go = (): void => void forward().catch(() => res.destroy());
    if (released) go();
    else waiting.push(go);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    held: () => waiting.length,
    release() {
      released = true;
      for (const go of waiting.splice(0)) go();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('startDevice, enrolled without trust data', () => {
  let env: Awaited<ReturnType<typeof startRealServer>>;
  beforeAll(async () => {
    env = await startRealServer();
  });
  afterAll(async () => {
    await env?.stop();
  });

  /** A data dir whose store is enrolled with the real server (optionally reached through `serverUrl`). */
  async function enrolledConfig(serverUrl?: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
    const store = openStore(path.join(dir, 'data', STORE_FILE));
    try {
      await enrol({ store, uri: await env.admin.enrolmentUri(), name: 'boot test' });
      if (serverUrl !== undefined) store.setState(STATE_KEYS.serverUrl, serverUrl);
      expect(store.getBundle()).toBeNull();
    } finally {
      store.close();
    }
    const config = simDeviceConfig(dir, {
      sync: { pollIntervalSeconds: 600, jitter: 0 },
    });
    return { dir, config };
  }

  async function decide(device: RunningDevice, text: string, seed: number): Promise<Decision | null> {
    const decided = new Promise<Decision | null>((resolve) => {
      const off = device.runtime.pipeline.onDecision((o) => (off(), resolve(o.decision)));
    });
    await device.hardware.sim?.camera?.push(await renderPhoneScene(text, { seed }));
    return decided;
  }

  it(
    'syncs once before the runtime starts, so the first frame is decided with trust data',
    { timeout: 60_000 },
    async () => {
      const { dir, config } = await enrolledConfig();
      const device = await startDevice(config, { log: silentLog() });
      try {
        // Before any frame or tick: the bundle is already in the runtime, the sync loop runs on.
        expect(device.runtime.trust.state().bundle).not.toBeNull();
        expect(device.sync?.status()).toMatchObject({ online: true, lastError: null });
        const pass = await env.admin.issue('green');
        expect(await decide(device, pass.text, 11)).toMatchObject({ colour: 'green', reason: 'OK', opens: true });
      } finally {
        await device.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    'starts without trust data when the server does not answer in time; the data applies once it lands',
    { timeout: 60_000 },
    async () => {
      const proxy = await holdingProxy(env.server.url);
      const { dir, config } = await enrolledConfig(proxy.url);
      let device: RunningDevice | null = null;
      try {
        device = await startDevice(config, { log: silentLog(), firstSyncTimeoutMs: 300 });
        expect(proxy.held()).toBe(1); // the first request is still unanswered
        expect(device.runtime.trust.state().bundle).toBeNull();
        const early = await env.admin.issue('green');
        expect(await decide(device, early.text, 12)).toMatchObject({ reason: 'NO_TRUST_DATA', opens: false });
        proxy.release();
        await device.sync?.idle();
        const started = device;
        await expect.poll(() => started.runtime.trust.state().bundle, { timeout: 10_000 }).not.toBeNull();
        const later = await env.admin.issue('green');
        expect(await decide(device, later.text, 13)).toMatchObject({ colour: 'green', opens: true });
      } finally {
        proxy.release();
        await device?.stop();
        await proxy.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
