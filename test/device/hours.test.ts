// Opening hours at the gate: a pass that would open while the bundle's hours are closed is red OUTSIDE_HOURS;
// refusals keep their reason, exits are never closed, a lockdown names itself first. The last test goes through
// the real runtime with the hours in a signed bundle file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideText } from '../../device/decide.js';
import type { DecideInputs, DecideStore, GatePlace } from '../../device/decide.js';
import { describeReason } from '../../device/reasons.js';
import { createDecoder } from '../../device/decode/index.js';
import type { FrameDecoder } from '../../device/decode/index.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import { parseHoursJson } from '../../protocol/index.js';
import type { OpeningHours } from '../../protocol/index.js';
import { Deployment, SITE, T0_S } from '../support/deployment.js';
import { Harness } from './helpers/harness.js';

// T0_S is Friday 2027-01-15 08:00 UTC, 09:00 in Berlin.
function hours(json: unknown): OpeningHours {
  const r = parseHoursJson(json);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.hours;
}
const OFFICE = hours({
  timeZone: 'Europe/Berlin',
  weekly: { fri: ['09:00-17:00'], sat: ['22:00-02:00'] },
  holidays: ['2027-01-18'],
  sites: { south: { weekly: { fri: ['12:00-13:00'] } } },
  scopes: { staff: { weekly: { fri: ['00:00-24:00'], mon: ['00:00-24:00'] } } },
});

const store: DecideStore = {
  isRevoked: (id) => id === revokedId,
  passHash: (id) => `h-${id.slice(0, 8)}`,
  passbackCheck: () => null,
};
const d = new Deployment();
const revokedId = 'ab'.repeat(16);

/** Inputs for a decision at `at` (trust data fresh then). */
function inputs(place: Partial<GatePlace> = {}, extra: Partial<DecideInputs> = {}, at = T0_S - 86_400): DecideInputs {
  return {
    trust: {
      bundle: d.bundle({ hours: OFFICE, actions: { yellow: 'attention' }, issuedAt: at - 3600 }),
      trustDataAt: at,
      clockFloor: at,
      sunsetReached: false,
    },
    place: { site: SITE, zone: 'main', direction: 'in', ...place },
    options: { skewSeconds: 300, localActions: {}, localMaxOfflineAgeSeconds: null, passbackWindowSeconds: 3600 },
    store,
    ...extra,
  };
}

const pass = (scope: 'all' | string[] = [SITE], colour: 'green' | 'yellow' = 'green') =>
  d.pass({ scope, colour, notBefore: T0_S - 86_400 * 10, expiresAt: T0_S + 86_400 * 10 }).text;

describe('decide with opening hours', () => {
  it('opens from the first minute of a range and is red OUTSIDE_HOURS the minute before and at its end', () => {
    const text = pass();
    expect(decideText(text, T0_S, inputs()).decision).toMatchObject({ colour: 'green', reason: 'OK', opens: true });
    expect(decideText(text, T0_S - 1, inputs()).decision).toMatchObject({
      colour: 'red',
      reason: 'OUTSIDE_HOURS',
      action: 'deny',
      opens: false,
      pattern: 'red',
    });
    expect(decideText(text, T0_S + 8 * 3600 - 1, inputs()).decision.opens).toBe(true); // 16:59:59
    expect(decideText(text, T0_S + 8 * 3600, inputs()).decision.reason).toBe('OUTSIDE_HOURS'); // 17:00
    expect(describeReason('OUTSIDE_HOURS')).toBe('closed now: outside opening hours');
  });

  it('an attention (yellow) pass that would open is closed too', () => {
    const text = pass([SITE], 'yellow');
    expect(decideText(text, T0_S, inputs()).decision).toMatchObject({ pattern: 'attention', opens: true });
    expect(decideText(text, T0_S - 60, inputs()).decision.reason).toBe('OUTSIDE_HOURS');
  });

  it('overnight: Saturday 22:00 to Sunday 02:00 local', () => {
    const sat22 = T0_S + 86_400 + 13 * 3600; // Saturday 21:00 UTC = 22:00 Berlin
    expect(decideText(pass(), sat22 - 1, inputs()).decision.opens).toBe(false);
    expect(decideText(pass(), sat22, inputs()).decision.opens).toBe(true);
    expect(decideText(pass(), sat22 + 4 * 3600 - 1, inputs()).decision.opens).toBe(true); // Sunday 01:59:59
    expect(decideText(pass(), sat22 + 4 * 3600, inputs()).decision.opens).toBe(false);
  });

  it('a holiday is closed for the default schedule, a scope schedule decides for its own passes', () => {
    const monday = T0_S + 3 * 86_400 + 2 * 3600; // Monday 2027-01-18 11:00 Berlin, a holiday
    expect(decideText(pass(), monday, inputs()).decision.reason).toBe('OUTSIDE_HOURS');
    expect(decideText(pass([SITE, 'staff']), monday, inputs()).decision.opens).toBe(true);
    expect(decideText(pass([SITE, 'staff']), T0_S - 3600, inputs()).decision.opens).toBe(true); // Friday 08:00
  });

  it('a site schedule replaces the default at that site', () => {
    const south = { site: 'south' };
    const text = pass(['south']);
    expect(decideText(text, T0_S, inputs(south)).decision.reason).toBe('OUTSIDE_HOURS');
    expect(decideText(text, T0_S + 3 * 3600, inputs(south)).decision.opens).toBe(true); // 12:00
  });

  it('an exit gate is never closed by the hours; a refusal keeps its own reason; a lockdown names itself', () => {
    const night = T0_S - 6 * 3600;
    expect(decideText(pass(), night, inputs({ direction: 'out' })).decision.opens).toBe(true);
    const revoked = d.pass({
      revocationId: revokedId,
      notBefore: T0_S - 86_400,
      expiresAt: T0_S + 86_400,
      scope: [SITE],
    }).text;
    expect(decideText(revoked, night, inputs()).decision.reason).toBe('REVOKED');
    expect(decideText(pass(), night, inputs({}, { lockdown: ['responders'] })).decision.reason).toBe('LOCKDOWN');
  });

  it('a bundle without hours is always open', () => {
    const none = inputs();
    const trust = { ...none.trust, bundle: d.bundle() };
    expect(decideText(pass(), T0_S - 6 * 3600, { ...none, trust }).decision.opens).toBe(true);
  });
});

describe('opening hours through the runtime (signed bundle file)', { timeout: 60_000 }, () => {
  let decoder: FrameDecoder;
  beforeAll(async () => {
    decoder = await createDecoder({ engine: 'zxing' });
  });
  afterAll(async () => {
    await decoder.close();
  });

  it('before 09:00 the relay stays still and the event says OUTSIDE_HOURS; at 09:00 the same gate opens', async () => {
    const h = await Harness.start({ decoder, bundle: { hours: OFFICE }, startMs: (T0_S - 120) * 1000 });
    try {
      const scene = async (seed: number) => renderPhoneScene(h.d.pass({ scope: [SITE] }).text, { seed });
      expect(await h.decideFrame(await scene(1))).toMatchObject({ colour: 'red', reason: 'OUTSIDE_HOURS' });
      expect(h.gpio.pulses).toHaveLength(0);
      expect(h.store.counters()['denied:OUTSIDE_HOURS']).toBe(1);
      h.clock.advance(120_000);
      expect(await h.decideFrame(await scene(2))).toMatchObject({ colour: 'green', reason: 'OK', opens: true });
      expect(h.gpio.pulses).toHaveLength(1);
    } finally {
      await h.stop();
    }
  });
});
