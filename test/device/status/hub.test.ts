import { describe, expect, it, vi } from 'vitest';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { PulseUnavailableError, StatusHub } from '../../../device/status/hub.js';
import { RECENT_VERDICTS } from '../../../device/status/model.js';

function frame(seq: number, timestamp: number): GreyFrame {
  return { width: 8, height: 6, data: new Uint8Array(48), timestamp, seq };
}

describe('StatusHub', () => {
  it('merges object sections field by field and replaces counters and alarms', () => {
    const hub = new StatusHub({ now: () => 1000 });
    hub.update({
      identity: { site: 'north', gate: 'g1' },
      sync: { online: true, revocationSeq: 3 },
      counters: { entries: 1, exits: 2 },
      alarms: ['door-held-open'],
    });
    hub.update({ identity: { direction: 'in' }, sync: { bundleVersion: 7 }, counters: { entries: 5 }, alarms: [] });
    const s = hub.snapshot();
    expect(s.identity).toEqual({ site: 'north', gate: 'g1', direction: 'in', version: null });
    expect(s.sync.online).toBe(true);
    expect(s.sync.revocationSeq).toBe(3);
    expect(s.sync.bundleVersion).toBe(7);
    expect(s.counters).toEqual({ entries: 5 });
    expect(s.alarms).toEqual([]);
  });

  it('derives the data age from the signed freshness time (not the last sync) and the injected clock', () => {
    let now = 5000;
    const hub = new StatusHub({ now: () => now });
    expect(hub.snapshot().dataAgeSeconds).toBeNull();
    hub.update({ sync: { lastSyncAt: 5000, trustDataAt: 4900 } });
    expect(hub.snapshot().dataAgeSeconds).toBe(100);
    now = 6000;
    expect(hub.snapshot()).toMatchObject({ now: 6000, dataAgeSeconds: 1100 });
  });

  it('keeps only colour, reason, time and opened of a verdict, newest first, bounded', () => {
    const hub = new StatusHub();
    const withClaims = {
      at: 10.7,
      colour: 'green' as const,
      reason: 'OK',
      opened: true,
      claims: { passId: 'ab'.repeat(16) },
      text: 'GC1:SECRET',
    };
    hub.verdict(withClaims);
    const [first] = hub.snapshot().recent;
    expect(first).toEqual({ at: 10, colour: 'green', reason: 'OK', opened: true });
    expect(JSON.stringify(hub.snapshot())).not.toContain('SECRET');
    expect(JSON.stringify(hub.snapshot())).not.toContain('abab');
    for (let i = 0; i < RECENT_VERDICTS + 5; i++)
      hub.verdict({ at: 100 + i, colour: 'red', reason: 'REVOKED', opened: false });
    const recent = hub.snapshot().recent;
    expect(recent).toHaveLength(RECENT_VERDICTS);
    expect(recent[0]?.at).toBe(100 + RECENT_VERDICTS + 4);
    expect(() => hub.verdict({ at: 1, colour: 'blue' as never, reason: 'OK', opened: false })).toThrow(TypeError);
  });

  it('clamps LED pixels to bytes and copies them', () => {
    const hub = new StatusHub();
    const pixels: [number, number, number][] = [
      [300, -4, 12.6],
      [Number.NaN, 0, 255],
    ];
    hub.update({ leds: { pattern: 'red', pixels } });
    pixels[0]![0] = 1;
    expect(hub.snapshot().leds).toEqual({
      pattern: 'red',
      pixels: [
        [255, 0, 13],
        [0, 0, 255],
      ],
    });
  });

  it('stamps the relay release time on the rising edge', () => {
    let now = 100;
    const hub = new StatusHub({ now: () => now });
    hub.update({ relay: { active: true } });
    now = 105;
    hub.update({ relay: { active: true } });
    hub.update({ relay: { active: false } });
    expect(hub.snapshot().relay).toEqual({ active: false, lastActiveAt: 100 });
  });

  it('holds the decode region for a while after the code was last seen, and measures the frame rate', () => {
    const hub = new StatusHub({ now: () => 50, regionHoldMs: 300 });
    expect(hub.latestFrame()).toBeNull();
    hub.frame(frame(0, 0), [
      [1, 1],
      [5, 1],
      [5, 4],
      [1, 4],
    ]);
    expect(hub.latestFrame()?.corners).toEqual([
      [1, 1],
      [5, 1],
      [5, 4],
      [1, 4],
    ]);
    expect(hub.snapshot().camera).toMatchObject({ lastDecodeAt: 50, width: 8, height: 6 });
    hub.frame(frame(1, 100), null);
    expect(hub.latestFrame()?.corners).not.toBeNull();
    for (let i = 2; i <= 10; i++) hub.frame(frame(i, i * 100), null);
    const latest = hub.latestFrame();
    expect(latest?.frame.seq).toBe(10);
    expect(latest?.corners).toBeNull();
    expect(hub.snapshot().camera.fps).toBe(10);
    expect(hub.snapshot().frameSeq).toBe(10);
  });

  it('routes pulse requests to the registered handler only', async () => {
    const hub = new StatusHub();
    await expect(hub.requestPulse()).rejects.toBeInstanceOf(PulseUnavailableError);
    const handler = vi.fn();
    const off = hub.onPulseRequest(handler);
    expect(hub.snapshot().pulseAvailable).toBe(true);
    await hub.requestPulse();
    expect(handler).toHaveBeenCalledTimes(1);
    off();
    expect(hub.pulseAvailable).toBe(false);
    await expect(hub.requestPulse()).rejects.toMatchObject({ code: 'PULSE_UNAVAILABLE' });
  });

  it('notifies subscribers and survives a failing one', () => {
    const hub = new StatusHub();
    const seen: string[] = [];
    hub.subscribe(() => {
      throw new Error('broken page');
    });
    const off = hub.subscribe((c) => seen.push(c));
    hub.update({ occupancy: 3 });
    hub.frame(frame(0, 0), null);
    hub.verdict({ at: 1, colour: 'yellow', reason: 'BUNDLE_STALE', opened: false });
    off();
    hub.update({ occupancy: 4 });
    expect(seen).toEqual(['status', 'status', 'frame', 'status']);
    expect(hub.snapshot().occupancy).toBe(4);
  });
});
