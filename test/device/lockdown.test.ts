// Lockdown through the real runtime: by the lockdown input or the administrator's command only passes whose
// scope lists a lockdown scope entry open; every other pass that would open is red with LOCKDOWN.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDecoder } from '../../device/decode/index.js';
import type { FrameDecoder } from '../../device/decode/index.js';
import { withLockdown } from '../../device/decide.js';
import type { Decision } from '../../device/decide.js';
import { describeReason } from '../../device/reasons.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import { DEFAULT_SIM_PINS } from '../../hardware/gpio/sim.js';
import { SITE } from '../support/deployment.js';
import { BASE_OPTIONS, Harness } from './helpers/harness.js';

const PINS = {
  relay: DEFAULT_SIM_PINS.relay,
  inputs: { ...DEFAULT_SIM_PINS.inputs, lockdown: { pin: 25, polarity: 'active-low' as const, debounceMs: 0 } },
};
const options = { ...BASE_OPTIONS, lockdown: { scope: ['responders'] } };

let decoder: FrameDecoder;
let h: Harness | null = null;
let seed = 100;
beforeAll(async () => {
  decoder = await createDecoder({ engine: 'zxing' });
});
afterAll(async () => {
  await decoder.close();
});
afterEach(async () => {
  await h?.stop();
  h = null;
});

describe('lockdown', { timeout: 60_000 }, () => {
  it('by command: a responder pass opens, any other is red with LOCKDOWN; lifted, all open again', async () => {
    h = await Harness.start({ decoder, pins: PINS, options });
    const scene = (scope: string[]) => renderPhoneScene(h!.d.pass({ scope }).text, { seed: seed++ });
    h.runtime.setLockdown(true, 'admin');
    expect(h.hub.snapshot().alarms).toContain('lockdown');
    expect(await h.decideFrame(await scene([SITE]))).toMatchObject({ colour: 'red', reason: 'LOCKDOWN', opens: false });
    expect(await h.decideFrame(await scene([SITE, 'responders']))).toMatchObject({ colour: 'green', opens: true });
    expect(h.gpio.pulses).toHaveLength(1);
    h.runtime.setLockdown(false, 'admin');
    expect(await h.decideFrame(await scene([SITE]))).toMatchObject({ colour: 'green', reason: 'OK', opens: true });
    expect(h.store.counters()['denied:LOCKDOWN']).toBe(1);
    expect(h.hub.snapshot().alarms).not.toContain('lockdown');
  });

  it('by the input: the switch on locks down and ends a strike held open; the exit button still lets people out', async () => {
    h = await Harness.start({
      decoder,
      pins: PINS,
      options: { ...options, gate: { ...BASE_OPTIONS.gate, relayMode: 'hold' } },
    });
    expect(await h.decideFrame(await renderPhoneScene(h.d.pass().text, { seed: seed++ }))).toMatchObject({
      opens: true,
    });
    expect(h.gpio.relay.active).toBe(true); // strike held
    h.gpio.setInput('lockdown', true);
    expect(h.runtime.lockdown).toBe(true);
    expect(h.gpio.relay.active).toBe(false);
    expect(h.hub.snapshot().inputs.lockdown).toBe(true);
    const other = await renderPhoneScene(h.d.pass().text, { seed: seed++ });
    expect(await h.decideFrame(other)).toMatchObject({ reason: 'LOCKDOWN', opens: false });
    h.gpio.press('exit');
    expect(h.gpio.relay.active).toBe(true);
    h.gpio.setInput('lockdown', false);
    expect(h.runtime.lockdown).toBe(false);
  });
});

describe('withLockdown', () => {
  const open: Decision = {
    at: 0,
    colour: 'green',
    reason: 'OK',
    action: 'open',
    opens: true,
    pattern: 'green',
    passHash: 'h',
    passExpiresAt: 1,
    direction: 'in',
  };
  it('keeps refusals as they are, refuses all-site passes and passes without a lockdown scope entry', () => {
    const red = { ...open, colour: 'red' as const, reason: 'REVOKED' as const, opens: false, action: 'deny' as const };
    expect(withLockdown(red, ['responders'], ['responders'])).toBe(red);
    expect(withLockdown(open, 'all', ['responders'])).toMatchObject({ reason: 'LOCKDOWN', opens: false });
    expect(withLockdown(open, ['hq'], [])).toMatchObject({ reason: 'LOCKDOWN', pattern: 'red' });
    expect(withLockdown(open, ['hq', 'responders'], ['responders'])).toBe(open);
    expect(describeReason('LOCKDOWN')).toBe('lockdown: no entry');
  });
});

describe('remote open through the runtime', { timeout: 60_000 }, () => {
  it('pulses the relay once for a signed command; the replay and an expired one are refused and counted', async () => {
    const { randomBytes } = await import('node:crypto');
    const { signRemoteOpen } = await import('../../protocol/remote-open.js');
    h = await Harness.start({ decoder });
    const now = Math.floor(h.clock.now() / 1000);
    const cmd = (issuedAt: number) =>
      signRemoteOpen(
        { site: SITE, gate: 'north-1', issuedAt, expiresAt: issuedAt + 5, nonce: randomBytes(16).toString('hex') },
        h!.d.root,
      );
    const bytes = cmd(now);
    expect(h.runtime.remoteOpen(bytes)).toMatchObject({ ok: true });
    expect(h.gpio.pulses).toHaveLength(1);
    expect(h.runtime.remoteOpen(bytes)).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(h.runtime.remoteOpen(cmd(now - 60))).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(h.gpio.pulses).toHaveLength(1);
    expect(h.store.counters()).toMatchObject({
      'remote-open': 1,
      'remote-open-refused:REPLAYED': 1,
      'remote-open-refused:EXPIRED': 1,
    });
  });
});
