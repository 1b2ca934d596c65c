import { describe, expect, it } from 'vitest';
import { decide, decideText, patternFor, precheck, stricter } from '../../device/decide.js';
import type { DecideInputs, DecideOptions, DecideStore, GatePlace, TrustState } from '../../device/decide.js';
import { DEVICE_REASONS, describeReason, isDeviceReason } from '../../device/reasons.js';
import { PROTOCOL_REASONS } from '../../protocol/errors.js';
import { encodePublicKey, generateSigningKey, issuePass } from '../../protocol/index.js';
import { presentHolderPass } from '../../protocol/holder/proof.js';
import { Deployment, foreignAndForged, SITE, T0_S } from '../support/deployment.js';
import type { BundleOptions } from '../support/deployment.js';

const PLACE: GatePlace = { site: SITE, zone: 'main', direction: 'in' };
const OPTIONS: DecideOptions = {
  skewSeconds: 300,
  localActions: {},
  localMaxOfflineAgeSeconds: null,
  passbackWindowSeconds: 3600,
};

class MapStore implements DecideStore {
  readonly revoked = new Set<string>();
  readonly passback = new Map<string, 'in' | 'out'>();
  isRevoked(id: string): boolean {
    return this.revoked.has(id);
  }
  passHash(passId: string): string {
    return `h-${passId.slice(0, 8)}`;
  }
  passbackCheck(hash: string, zone: string): 'in' | 'out' | null {
    return this.passback.get(`${zone}/${hash}`) ?? null;
  }
}

const d = new Deployment();

function inputs(
  over: {
    bundle?: BundleOptions | null;
    trust?: Partial<TrustState>;
    options?: Partial<DecideOptions>;
    place?: Partial<GatePlace>;
  } = {},
  store = new MapStore(),
): DecideInputs {
  const bundle = over.bundle === null ? null : d.bundle(over.bundle);
  return {
    trust: { bundle, trustDataAt: T0_S - 600, clockFloor: T0_S - 3600, sunsetReached: false, ...over.trust },
    place: { ...PLACE, ...over.place },
    options: { ...OPTIONS, ...over.options },
    store,
  };
}

describe('decide', () => {
  it('opens on a valid green pass, silently green', () => {
    const { decision } = decideText(d.pass().text, T0_S, inputs());
    expect(decision).toMatchObject({
      colour: 'green',
      reason: 'OK',
      action: 'open',
      opens: true,
      pattern: 'green',
      direction: 'in',
    });
    expect(decision.passHash).toMatch(/^h-/);
  });

  it.each([
    ['yellow', 'deny', false, 'yellow'],
    ['yellow', 'attention', true, 'attention'],
    ['yellow', 'open', true, 'attention'],
    ['red', 'deny', false, 'red'],
  ] as const)('a %s pass with policy %s opens=%s and shows %s', (colour, action, opens, pattern) => {
    const { decision } = decideText(d.pass({ colour }).text, T0_S, inputs({ bundle: { actions: { [colour]: action } } }));
    expect(decision).toMatchObject({ colour, reason: 'OK', action, opens, pattern });
  });

  it('lets local overrides make a colour stricter, never looser', () => {
    const strict = decideText(
      d.pass().text,
      T0_S,
      inputs({ options: { localActions: { green: 'attention' } } }),
    ).decision;
    expect(strict).toMatchObject({ colour: 'green', action: 'attention', opens: true, pattern: 'attention' });
    const loose = decideText(
      d.pass({ colour: 'yellow' }).text,
      T0_S,
      inputs({ options: { localActions: { yellow: 'open' } } }),
    ).decision;
    expect(loose).toMatchObject({ action: 'deny', opens: false });
    expect(stricter('open', 'deny')).toBe('deny');
    expect(stricter('deny', 'open')).toBe('deny');
    expect(stricter('attention', undefined)).toBe('attention');
  });

  it('never gives a silent green on stale data: yellow with BUNDLE_STALE and the yellow action', () => {
    const old = { trust: { trustDataAt: T0_S - 49 * 3600 } };
    expect(decideText(d.pass().text, T0_S, inputs(old)).decision).toMatchObject({
      colour: 'yellow',
      reason: 'BUNDLE_STALE',
      opens: false,
      pattern: 'yellow',
    });
    const attention = decideText(
      d.pass().text,
      T0_S,
      inputs({ ...old, bundle: { actions: { yellow: 'attention' } } }),
    ).decision;
    expect(attention).toMatchObject({ colour: 'yellow', reason: 'BUNDLE_STALE', opens: true, pattern: 'attention' });
    // A red pass stays red, and a local maximum age stricter than the bundle's applies.
    expect(decideText(d.pass({ colour: 'red' }).text, T0_S, inputs(old)).decision).toMatchObject({
      colour: 'red',
      reason: 'OK',
    });
    const local = inputs({ trust: { trustDataAt: T0_S - 7200 }, options: { localMaxOfflineAgeSeconds: 3600 } });
    expect(decideText(d.pass().text, T0_S, local).decision.reason).toBe('BUNDLE_STALE');
    expect(decideText(d.pass().text, T0_S, inputs({ trust: { trustDataAt: null } })).decision.reason).toBe(
      'BUNDLE_STALE',
    );
  });

  it('gives each failing pass its reason, red and closed', () => {
    const { unknownKey, forged } = foreignAndForged(d);
    const store = new MapStore();
    const revoked = d.pass();
    store.revoked.add(revoked.revocationId);
    const cases: [string, string][] = [
      [revoked.text, 'REVOKED'],
      [d.pass({ issuedAt: T0_S - 7200, notBefore: T0_S - 7200, expiresAt: T0_S - 3600 }).text, 'EXPIRED'],
      [d.pass({ notBefore: T0_S + 3600 }).text, 'NOT_YET_VALID'],
      [d.pass({ scope: ['south'] }).text, 'WRONG_SCOPE'],
      [unknownKey, 'UNKNOWN_KEY'],
      [forged, 'BAD_SIGNATURE'],
      ['https://example.com/menu', 'BAD_PREFIX'],
    ];
    for (const [text, reason] of cases) {
      const { decision } = decideText(text, T0_S, inputs({}, store));
      expect(decision, reason).toMatchObject({
        colour: 'red',
        reason,
        opens: false,
        action: 'deny',
        pattern: 'red',
        passHash: null,
      });
    }
  });

  it('refuses to decide when the clock is below the floor (fault pattern, CLOCK_ROLLBACK)', () => {
    const rolled = inputs({ trust: { clockFloor: T0_S + 86_400 } });
    const { decision, verifyMs } = decideText(d.pass().text, T0_S, rolled);
    expect(decision).toMatchObject({ reason: 'CLOCK_ROLLBACK', pattern: 'fault', opens: false });
    expect(verifyMs).toBe(0);
    // An expired pass does not come back to life with the clock set back below the floor.
    const expired = d.pass({ expiresAt: T0_S + 3600 }).text;
    expect(decideText(expired, T0_S, inputs({ trust: { clockFloor: T0_S + 7200 } })).decision.reason).toBe(
      'CLOCK_ROLLBACK',
    );
    // Within the skew the floor is tolerated.
    expect(decideText(d.pass().text, T0_S, inputs({ trust: { clockFloor: T0_S + 200 } })).decision.reason).toBe('OK');
  });

  it('refuses every pass after the sunset and without trust data', () => {
    expect(decideText(d.pass().text, T0_S, inputs({ bundle: { sunset: T0_S - 1 } })).decision).toMatchObject({
      reason: 'SUNSET',
      pattern: 'sunset',
      opens: false,
    });
    expect(
      decideText(d.pass().text, T0_S, inputs({ bundle: null, trust: { sunsetReached: true } })).decision.reason,
    ).toBe('SUNSET');
    expect(decideText(d.pass().text, T0_S, inputs({ bundle: null })).decision).toMatchObject({
      reason: 'NO_TRUST_DATA',
      opens: false,
    });
    expect(precheck(inputs().trust, T0_S, PLACE, OPTIONS)).toBeNull();
  });

  it('denies a second entry within the anti-passback window, but not an exit or after an exit', () => {
    const store = new MapStore();
    const p = d.pass();
    const hash = store.passHash(p.passId);
    store.passback.set(`main/${hash}`, 'in');
    expect(decideText(p.text, T0_S, inputs({}, store)).decision).toMatchObject({
      colour: 'red',
      reason: 'PASSBACK',
      opens: false,
    });
    expect(decideText(p.text, T0_S, inputs({ place: { zone: 'other' } }, store)).decision.reason).toBe('OK');
    expect(decideText(p.text, T0_S, inputs({ place: { direction: 'out' } }, store)).decision).toMatchObject({
      reason: 'OK',
      opens: true,
      direction: 'out',
    });
    store.passback.set(`main/${hash}`, 'out');
    expect(decideText(p.text, T0_S, inputs({}, store)).decision.reason).toBe('OK');
    store.passback.set(`main/${hash}`, 'in');
    expect(decideText(p.text, T0_S, inputs({ options: { passbackWindowSeconds: 0 } }, store)).decision.reason).toBe('OK');
  });

  it('maps a protocol SUNSET outcome to the sunset pattern', () => {
    const trust = inputs().trust;
    expect(decide({ ok: false, reason: 'SUNSET' }, trust, T0_S, PLACE, OPTIONS, new MapStore()).pattern).toBe('sunset');
  });

  it('only green opens silently', () => {
    expect(patternFor('green', 'open')).toBe('green');
    expect(patternFor('yellow', 'open')).toBe('attention');
    expect(patternFor('red', 'open')).toBe('attention');
    expect(patternFor('green', 'deny')).toBe('yellow');
  });

  it('has one closed union of reasons extending the protocol reasons, each with a text', () => {
    for (const r of PROTOCOL_REASONS) expect(DEVICE_REASONS).toContain(r);
    for (const r of ['PASSBACK', 'CLOCK_ROLLBACK', 'NO_TRUST_DATA', 'OK']) expect(DEVICE_REASONS).toContain(r);
    for (const r of DEVICE_REASONS) expect(describeReason(r).length).toBeGreaterThan(3);
    expect(isDeviceReason('PASSBACK')).toBe(true);
    expect(isDeviceReason('passback')).toBe(false);
  });
});

describe('holder proofs and an untrusted clock', () => {
  const holder = generateSigningKey('holder');
  const { text, claims } = issuePass(
    {
      colour: 'green',
      issuedAt: T0_S - 3600,
      notBefore: T0_S - 3600,
      expiresAt: T0_S + 86_400,
      scope: 'all',
      holderKey: encodePublicKey(holder.publicKey),
    },
    d.issuer,
  );
  const shownAt = (t: number): string => presentHolderPass(text, claims.passId, t, holder.privateKey);

  it('a proof outside the window is CLOCK_UNTRUSTED (see staff, closed) when the clock is not trusted', () => {
    const untrusted = { ...inputs(), clockTrusted: false };
    for (const [shown, byClock] of [
      [shownAt(T0_S - 120), 'PROOF_STALE'],
      [shownAt(T0_S + 120), 'PROOF_FUTURE'],
    ] as const) {
      expect(decideText(shown, T0_S, inputs()).decision).toMatchObject({ reason: byClock, opens: false });
      expect(decideText(shown, T0_S, untrusted).decision).toMatchObject({
        colour: 'yellow',
        reason: 'CLOCK_UNTRUSTED',
        action: 'deny',
        opens: false,
        pattern: 'yellow',
      });
    }
    // A live code under an untrusted clock: yellow CLOCK_UNTRUSTED with the yellow action, like any green.
    const { action, reason } = decideText(d.pass().text, T0_S, untrusted).decision;
    expect(decideText(shownAt(T0_S), T0_S, untrusted).decision).toMatchObject({ colour: 'yellow', reason, action });
    // Reasons that do not depend on the clock keep their own.
    const thief = generateSigningKey('holder');
    const forged = presentHolderPass(text, claims.passId, T0_S, thief.privateKey);
    expect(decideText(forged, T0_S, untrusted).decision.reason).toBe('PROOF_WRONG_KEY');
    expect(decideText(text, T0_S, untrusted).decision.reason).toBe('PROOF_MISSING');
  });
});
