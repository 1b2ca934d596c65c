// Trusted time: the clock counts only with NTP, a configured RTC or a recent signed time carried forward on the
// monotonic clock; otherwise a green becomes yellow with CLOCK_UNTRUSTED — and the device shows it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDevice } from '../../../device/boot.js';
import type { Decision } from '../../../device/decide.js';
import { TimeTrust, systemTimeProbes } from '../../../device/time/trusted.js';
import type { TimeProbes } from '../../../device/time/trusted.js';
import { renderPhoneScene } from '../../../hardware/camera/sim/scene.js';
import { Deployment } from '../../support/deployment.js';
import { silentLog } from '../../support/log.js';
import { simDeviceConfig } from '../../support/sim-device.js';

function fakeProbes(o: { ntp?: boolean | null; rtc?: boolean } = {}) {
  const state = { ntp: o.ntp ?? null, rtc: o.rtc ?? false, mono: 1000, ntpAsked: 0 };
  const probes: TimeProbes = {
    ntpSynchronized: () => (state.ntpAsked++, state.ntp),
    rtcPresent: () => state.rtc,
    monotonicMs: () => state.mono,
  };
  return { state, probes };
}

const T = 1_800_000_000_000; // wall clock, ms

describe('TimeTrust', () => {
  it('trusts NTP, a configured RTC, and nothing else by itself', () => {
    expect(
      new TimeTrust(fakeProbes({ ntp: true }).probes, { rtcConfigured: false, skewSeconds: 300 }).status(T),
    ).toEqual({
      trusted: true,
      source: 'ntp',
    });
    const rtc = fakeProbes({ ntp: false, rtc: true }).probes;
    expect(new TimeTrust(rtc, { rtcConfigured: true, skewSeconds: 300 }).status(T).source).toBe('rtc');
    // rtc0 without a configured battery-backed RTC (a Pi 5 without its battery) does not count
    expect(new TimeTrust(rtc, { rtcConfigured: false, skewSeconds: 300 }).status(T)).toEqual({
      trusted: false,
      source: 'none',
    });
    expect(new TimeTrust(fakeProbes().probes, { rtcConfigured: false, skewSeconds: 300 }).status(T).trusted).toBe(
      false,
    );
  });

  it('carries a signed time forward on the monotonic clock and notices a step of the wall clock', () => {
    const { state, probes } = fakeProbes({ ntp: false });
    const t = new TimeTrust(probes, { rtcConfigured: false, skewSeconds: 300 });
    t.observeSigned(T / 1000 - 20, T); // a statement signed 20 s ago
    expect(t.status(T)).toEqual({ trusted: true, source: 'signed' });
    state.mono += 3_600_000; // an hour later by the monotonic clock ...
    expect(t.status(T + 3_600_000).trusted).toBe(true); // ... and by the wall clock
    expect(t.status(T + 3_600_000 - 2 * 86_400_000).trusted).toBe(false); // wall clock stepped back two days
  });

  it('ignores a signed time that the wall clock does not agree with (fake-hwclock after a power cut)', () => {
    const t = new TimeTrust(fakeProbes({ ntp: false }).probes, { rtcConfigured: false, skewSeconds: 300 });
    t.observeSigned(T / 1000, T - 2 * 86_400_000); // the clock restored two days behind
    expect(t.status(T - 2 * 86_400_000).trusted).toBe(false);
  });

  it('asks the NTP probe at most once a minute', () => {
    const { state, probes } = fakeProbes({ ntp: true });
    const t = new TimeTrust(probes, { rtcConfigured: false, skewSeconds: 300 });
    for (let i = 0; i < 100; i++) t.status(T);
    expect(state.ntpAsked).toBe(1);
    state.mono += 60_000;
    t.status(T);
    expect(state.ntpAsked).toBe(2);
  });

  it('system probes: rtc0 under a sys tree, timedatectl answers parsed, a missing timedatectl is unknown', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-time-'));
    try {
      const bin = path.join(dir, 'timedatectl');
      fs.writeFileSync(bin, '#!/bin/sh\necho yes\n', { mode: 0o755 });
      const p = systemTimeProbes({ sysRoot: dir, timedatectl: bin });
      expect(p.rtcPresent()).toBe(false);
      fs.mkdirSync(path.join(dir, 'class/rtc/rtc0'), { recursive: true });
      expect(p.rtcPresent()).toBe(true);
      expect(p.ntpSynchronized()).toBe(true);
      fs.writeFileSync(bin, '#!/bin/sh\necho no\n', { mode: 0o755 });
      expect(p.ntpSynchronized()).toBe(false);
      expect(systemTimeProbes({ timedatectl: path.join(dir, 'absent') }).ntpSynchronized()).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a device whose clock is not trusted', () => {
  it(
    'decides a valid pass yellow with CLOCK_UNTRUSTED, shows it on the ring and the status data',
    { timeout: 60_000 },
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
      const d = new Deployment();
      const now = Math.floor(Date.now() / 1000);
      // trust data signed a day ago: no signed time to confirm the clock with
      fs.writeFileSync(
        path.join(dir, 'bundle.cose'),
        d.bundleBytes({ issuedAt: now - 86_400, sunset: now + 86_400 * 30 }),
      );
      const config = simDeviceConfig(dir, {
        policy: { maxOfflineAgeSeconds: 7 * 86_400 },
        trust: { rootPublicKey: d.rootPublicKey, bundleFile: 'bundle.cose' },
      });
      const clock = fakeProbes({ ntp: false });
      const timeTrust = new TimeTrust(clock.probes, { rtcConfigured: false, skewSeconds: 300 });
      const device = await startDevice(config, { log: silentLog(), timeTrust });
      try {
        const decide = async (seed: number): Promise<Decision | null> => {
          const decided = new Promise<Decision | null>((resolve) => {
            const off = device.runtime.pipeline.onDecision((o) => (off(), resolve(o.decision)));
          });
          const pass = d.pass({ issuedAt: now - 60, notBefore: now - 60, expiresAt: now + 3600 });
          await device.hardware.sim?.camera?.push(await renderPhoneScene(pass.text, { seed }));
          return decided;
        };
        const untrusted = await decide(5);
        expect(untrusted).toMatchObject({ colour: 'yellow', reason: 'CLOCK_UNTRUSTED', pattern: expect.any(String) });
        expect(untrusted?.pattern).not.toBe('green');
        // the ring shows the yellow verdict's pattern, and the status data the missing time source
        await expect.poll(() => device.hub.snapshot().leds.pattern, { timeout: 2000 }).toBe(untrusted?.pattern);
        await expect.poll(() => device.hub.snapshot().sync.clockSource, { timeout: 3000 }).toBe('none');
        // NTP comes: the next pass is green
        clock.state.ntp = true;
        clock.state.mono += 60_000;
        expect(await decide(6)).toMatchObject({ colour: 'green', reason: 'OK' });
      } finally {
        await device.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('a signed time held from before a reboot', () => {
  it(
    'does not confirm the clock after the reboot (fake-hwclock restores the time of the shutdown)',
    { timeout: 60_000 },
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
      const d = new Deployment();
      const now = Math.floor(Date.now() / 1000);
      // trust data signed 20 s ago: in the boot that loads it, it confirms the clock
      fs.writeFileSync(path.join(dir, 'bundle.cose'), d.bundleBytes({ issuedAt: now - 20, sunset: now + 86_400 * 30 }));
      const config = simDeviceConfig(dir, {
        trust: { rootPublicKey: d.rootPublicKey, bundleFile: 'bundle.cose' },
      });
      const boot = async () => {
        const probes = fakeProbes({ ntp: false }).probes;
        const timeTrust = new TimeTrust(probes, { rtcConfigured: false, skewSeconds: 300 });
        return { device: await startDevice(config, { log: silentLog(), timeTrust }), timeTrust };
      };
      try {
        const first = await boot();
        await first.device.stop();
        // The reboot: same store, a clock that reads the time of the shutdown, no NTP, no RTC, nothing new signed.
        const second = await boot();
        try {
          const decided = new Promise<Decision | null>((resolve) => {
            const off = second.device.runtime.pipeline.onDecision((o) => (off(), resolve(o.decision)));
          });
          const pass = d.pass({ issuedAt: now - 60, notBefore: now - 60, expiresAt: now + 3600 });
          await second.device.hardware.sim?.camera?.push(await renderPhoneScene(pass.text, { seed: 7 }));
          expect(await decided).toMatchObject({ colour: 'yellow', reason: 'CLOCK_UNTRUSTED' });
          expect(second.timeTrust.status(Date.now()).source).toBe('none');
        } finally {
          await second.device.stop();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
