// End to end: rendered phone scenes of real passes → SimCamera → real decoder (worker) → verify → decide → gate
// over SimGpio and LEDs over SimLedRing → real SQLite store and StatusHub, on a manual clock.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDecoder } from '../../device/decode/index.js';
import type { FrameDecoder } from '../../device/decode/index.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import type { GreyFrame } from '../../hardware/camera/types.js';
import { signFreshness } from '../../protocol/index.js';
import { foreignAndForged, T0_S } from '../support/deployment.js';
import { Harness } from './helpers/harness.js';

type SceneOpts = Parameters<typeof renderPhoneScene>[1];
let seed = 1;
const scene = (text: string, opts: SceneOpts = {}): Promise<GreyFrame> =>
  renderPhoneScene(text, { seed: seed++, ...opts });

let h: Harness | null = null;
let decoder: FrameDecoder;
beforeAll(async () => {
  decoder = await createDecoder({ engine: 'zxing' }); // the device default: zxing-wasm in a worker thread
});
afterAll(async () => {
  await decoder.close();
});
afterEach(async () => {
  await h?.stop();
  h = null;
});
const start = (opts: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> => Harness.start({ decoder, ...opts });

describe('device runtime, end to end on simulated hardware', { timeout: 60_000 }, () => {
  it('gives each rendered pass its colour; the relay pulses only on green', async () => {
    h = await start();
    const d = h.d;
    const cases: [string, SceneOpts, string, boolean][] = [
      ['green', {}, 'green', true],
      ['green', { blur: 1.2 }, 'green', true],
      ['green', { perspective: 0.5 }, 'green', true],
      ['green', { noise: 10 }, 'green', true],
      ['green', { glare: 0.5 }, 'green', true],
      ['green', { contrast: 0.35 }, 'green', true],
      ['green', { inverted: true }, 'green', true],
      ['yellow', {}, 'yellow', false],
      ['red', {}, 'red', false],
    ];
    let pulses = 0;
    for (const [colour, opts, expected, opens] of cases) {
      const pass = d.pass({ colour: colour as 'green' | 'yellow' | 'red' });
      const decision = await h.decideFrame(await scene(pass.text, opts));
      expect(decision, `${colour} ${JSON.stringify(opts)}`).toMatchObject({ colour: expected, reason: 'OK', opens });
      if (opens) pulses++;
      expect(h.gpio.pulses).toHaveLength(pulses);
    }
    const recent = h.hub.snapshot().recent;
    expect(recent).toHaveLength(cases.length);
    expect(JSON.stringify(h.hub.snapshot())).not.toContain('GC1:');
  });

  it('opens a yellow pass with the attention pattern when the policy says so', async () => {
    h = await start({ bundle: { actions: { yellow: 'attention' } } });
    const decision = await h.decideFrame(await scene(h.d.pass({ colour: 'yellow' }).text));
    expect(decision).toMatchObject({ colour: 'yellow', opens: true, pattern: 'attention' });
    expect(h.gpio.pulses).toHaveLength(1);
    h.advance(0);
    expect(h.runtime.leds.current().pattern).toBe('attention');
  });

  it('gives revoked, expired, not-yet-valid, wrong-site, unknown-key and forged passes their reasons', async () => {
    const { Deployment } = await import('../support/deployment.js');
    const d = new Deployment();
    const revoked = d.pass();
    h = await start({ deployment: d, revoked: [{ revocationId: revoked.revocationId, expiresAt: revoked.expiresAt }] });
    const { unknownKey, forged } = foreignAndForged(d);
    const cases: [string, string][] = [
      [revoked.text, 'REVOKED'],
      [d.pass({ issuedAt: T0_S - 7200, notBefore: T0_S - 7200, expiresAt: T0_S - 3600 }).text, 'EXPIRED'],
      [d.pass({ notBefore: T0_S + 7200 }).text, 'NOT_YET_VALID'],
      [d.pass({ scope: ['elsewhere'] }).text, 'WRONG_SCOPE'],
      [unknownKey, 'UNKNOWN_KEY'],
      [forged, 'BAD_SIGNATURE'],
    ];
    for (const [text, reason] of cases) {
      expect(await h.decideFrame(await scene(text)), reason).toMatchObject({ colour: 'red', reason, opens: false });
    }
    expect(h.gpio.pulses).toHaveLength(0);
    expect(h.store.counters()).toMatchObject({ 'denied:REVOKED': 1, 'denied:EXPIRED': 1, 'denied:BAD_SIGNATURE': 1 });
    h.advance(0);
    expect(h.runtime.leds.current().pattern).toBe('red');
  });

  it('turns green into yellow with BUNDLE_STALE when the trust data is older than the maximum offline age', async () => {
    h = await start({ bundle: { issuedAt: T0_S - 3 * 86_400, maxOfflineAgeSeconds: 86_400 } });
    h.advance(1000);
    expect(h.runtime.leds.baseState).toBe('stale');
    expect(h.hub.snapshot().alarms).toContain('stale-data');
    const decision = await h.decideFrame(await scene(h.d.pass().text));
    expect(decision).toMatchObject({ colour: 'yellow', reason: 'BUNDLE_STALE', opens: false });
    // A good sync alone (its answers may be unsigned 304s) does not make the data fresh again ...
    h.runtime.trust.reportSync({ online: true, lastError: null });
    expect(await h.decideFrame(await scene(h.d.pass().text))).toMatchObject({ reason: 'BUNDLE_STALE' });
    // ... a verified freshness statement naming the data held does.
    const now = Math.floor(h.clock.now() / 1000);
    const statement = signFreshness({ issuedAt: now, logId: h.d.logId, bundleVersion: 1, revocationSeq: 0 }, h.d.root);
    expect(h.runtime.trust.accept('freshness', statement)).toMatchObject({ kind: 'applied', issuedAt: now });
    expect(await h.decideFrame(await scene(h.d.pass().text))).toMatchObject({ colour: 'green', reason: 'OK' });
    h.advance(1000);
    expect(h.runtime.leds.baseState).toBe('idle');
    // Offline with fresh data: still green, the ring shows it is offline.
    h.runtime.trust.reportSync({ online: false, lastError: 'NETWORK' });
    h.advance(1000);
    expect(h.runtime.leds.baseState).toBe('offline');
    expect(h.hub.snapshot().alarms).toContain('offline');
    expect(h.hub.snapshot().sync).toMatchObject({ online: false, lastError: 'NETWORK' });
    expect(await h.decideFrame(await scene(h.d.pass().text))).toMatchObject({ colour: 'green', reason: 'OK' });
  });

  it('decides 30 frames of one code once', async () => {
    h = await start();
    const frame = await scene(h.d.pass().text);
    await h.show(frame, 30);
    expect(h.outcomes).toHaveLength(1);
    expect(h.gpio.pulses).toHaveLength(1);
    expect(h.runtime.pipeline.stats.decoded).toBeGreaterThanOrEqual(28);
    const t = h.outcomes[0]?.timings;
    expect(t?.decodeMs).toBeGreaterThan(0);
    expect(t?.verifyMs).toBeGreaterThan(0);
    expect(t?.arrivalToRelayMs).not.toBeNull();
  });

  it('refuses a second entry (PASSBACK) and allows it again after the grant was annulled', async () => {
    h = await start();
    const pass = h.d.pass();
    const frame = await scene(pass.text);
    expect(await h.decideFrame(frame)).toMatchObject({ colour: 'green', opens: true });
    h.gpio.rotate(); // walked through
    expect(await h.decideFrame(frame)).toMatchObject({ colour: 'red', reason: 'PASSBACK', opens: false });
    expect(h.store.counters()).toMatchObject({ entries: 1, occupancy: 1, 'denied:PASSBACK': 1 });

    const other = await scene(h.d.pass().text);
    expect(await h.decideFrame(other)).toMatchObject({ opens: true });
    const eventId = h.outcomes.at(-1)?.eventId;
    h.advance(8000); // no rotation within 8 s: annulled
    const events = h.store.pendingEvents(100);
    expect(events.find((e) => e.id === eventId)).toMatchObject({ opened: true, passed: false });
    expect(h.store.counters()['annulled']).toBe(1);
    expect(await h.decideFrame(other)).toMatchObject({ colour: 'green', reason: 'OK', opens: true });
  });

  it('raises door alarms on the LEDs and the status page; the exit button opens without a pass', async () => {
    h = await start();
    h.gpio.setDoor(true); // no grant: forced
    h.advance(0);
    expect(h.hub.snapshot().alarms).toContain('door-forced');
    expect(h.runtime.leds.current().pattern).toBe('door-alarm');
    h.gpio.setDoor(false);
    h.advance(1000);
    expect(h.hub.snapshot().alarms).not.toContain('door-forced');
    expect(h.runtime.leds.current().pattern).toBe('idle');

    h.gpio.press('exit');
    expect(h.gpio.pulses).toHaveLength(1);
    await h.hub.requestPulse(); // the status page's relay test button
    expect(h.gpio.pulses).toHaveLength(2);
    h.gpio.setDoor(true);
    h.advance(1000);
    expect(h.hub.snapshot().alarms).toEqual([]);
    h.advance(30_000);
    expect(h.hub.snapshot().alarms).toContain('door-held-open');
    h.gpio.setDoor(false);
    h.advance(1000);
    expect(h.hub.snapshot().alarms).toEqual([]);
    expect(h.hub.snapshot().inputs.door).toBe(false);
  });

  it('after the sunset refuses every pass, shows the sunset pattern and wipes the store', async () => {
    h = await start({ bundle: { sunset: T0_S + 60 } });
    const frame = await scene(h.d.pass().text);
    expect(await h.decideFrame(frame)).toMatchObject({ colour: 'green' });
    expect(h.store.pendingEvents(10)).toHaveLength(1);
    h.advance(61_000);
    expect(h.store.getBundle()).toBeNull();
    expect(h.store.pendingEvents(10)).toHaveLength(0);
    expect(h.runtime.leds.baseState).toBe('sunset');
    expect(await h.decideFrame(await scene(h.d.pass().text))).toMatchObject({
      reason: 'SUNSET',
      opens: false,
      pattern: 'sunset',
    });
    expect(h.gpio.pulses).toHaveLength(1);
    expect(h.store.counters()['denied:SUNSET']).toBe(1); // counters survive the wipe
  });

  it('purges events and anti-passback hashes after the retention window', async () => {
    h = await start({ options: { retentionSeconds: 3600, purgeIntervalMs: 60_000 } });
    const frame = await scene(h.d.pass().text);
    await h.decideFrame(frame);
    h.gpio.rotate();
    expect(h.store.pendingEvents(10)).toHaveLength(1);
    h.advance(3601_000 + 60_000);
    expect(h.store.pendingEvents(10)).toHaveLength(0);
    // The anti-passback window (1 h) ran out with it: the same pass may enter again.
    expect(await h.decideFrame(frame)).toMatchObject({ reason: 'OK', opens: true });
  });

  it('purges the revocation list a slice per turn of the event loop, not in one scan', async () => {
    const g = await start({ options: { retentionSeconds: 3600, purgeIntervalMs: 60_000 } });
    h = g;
    await vi.waitFor(() => expect(g.runtime['purgingRevocations' as keyof typeof g.runtime]).toBe(false));
    const slices = vi.spyOn(g.store, 'purgeExpiredRevocations');
    g.advance(60_000);
    // The first slice runs in the timer's turn; the other 255 follow, one per turn.
    expect(slices).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(slices).toHaveBeenCalledTimes(256));
    expect(slices.mock.calls.map((c) => c[1])).toEqual(Array.from({ length: 256 }, (_, i) => i));
  });

  it('refuses to decide when the clock was set back below the newest signed data (fault pattern)', async () => {
    h = await start();
    const expiresSoon = h.d.pass({ expiresAt: T0_S + 600 });
    h.clock.set((T0_S - 2 * 86_400) * 1000); // someone set the clock back two days
    h.advance(1000);
    expect(h.runtime.leds.baseState).toBe('fault');
    expect(h.hub.snapshot().alarms).toContain('clock-fault');
    const decision = await h.decideFrame(await scene(expiresSoon.text));
    expect(decision).toMatchObject({ reason: 'CLOCK_ROLLBACK', pattern: 'fault', opens: false });
    expect(h.gpio.pulses).toHaveLength(0);
  });

  it('tells systemd it is ready, and pings the watchdog only while frames arrive', async () => {
    h = await start();
    expect(h.notified).toEqual(['ready']);
    h.advance(3000);
    expect(h.notified).toEqual(['ready']); // no frame yet
    await h.blank(1);
    h.advance(1000);
    expect(h.notified.filter((n) => n === 'watchdog').length).toBe(1);
    h.advance(10_000); // frames stopped: no more pings
    expect(h.notified.filter((n) => n === 'watchdog').length).toBe(5);
    await h.runtime.stop();
    expect(h.notified.at(-1)).toBe('stopping');
  });

  it('stops with the relay safe, the ring off and the store closed', async () => {
    h = await start({
      options: {
        gate: {
          relayMode: 'hold',
          pulseMs: 400,
          holdMs: 60_000,
          grantWindowMs: 10_000,
          forcedOpenAlarm: true,
          heldOpenSeconds: 30,
          rotationTimeoutSeconds: 60,
        },
      },
    });
    await h.decideFrame(await scene(h.d.pass().text));
    expect(h.gpio.relay.active).toBe(true);
    await h.runtime.stop();
    expect(h.gpio.relay.active).toBe(false);
    expect(h.gpio.relayPinLevel).toBe(0);
    expect(h.ring.current.every((p) => p.every((c) => c === 0))).toBe(true);
    expect(() => h?.store.counters()).toThrow();
  });
});
