import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeOptions, startDevice } from '../../device/boot.js';
import { parseConfig } from '../../device/config.js';
import { renderPhoneScene } from '../../hardware/camera/scene.js';
import { Deployment, SITE } from './helpers/deployment.js';
import { silentLog } from './helpers/log.js';

describe('config → runtime options', () => {
  it('maps the defaults', () => {
    const o = runtimeOptions(parseConfig({ site: 'north', gate: 'n1' }), false);
    expect(o.place).toEqual({ site: 'north', gate: 'n1', zone: 'north', direction: 'in' });
    expect(o.decide).toEqual({
      skewSeconds: 300,
      localActions: {},
      localMaxOfflineAgeSeconds: null,
      passbackWindowSeconds: 3600,
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
      const config = parseConfig(
        {
          site: SITE,
          gate: 'n1',
          dataDir: 'data',
          camera: { source: 'sim' },
          hardware: { gpio: 'sim', leds: 'sim' },
          decoder: { worker: false },
          trust: { rootPublicKey: d.rootPublicKey, bundleFile: 'bundle.cose' },
        },
        { baseDir: dir },
      );
      const device = await startDevice(config, { log: silentLog() });
      try {
        expect(device.hardware.kinds).toEqual({ camera: 'sim', gpio: 'sim', leds: 'sim' });
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
