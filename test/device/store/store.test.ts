// The device store's methods on a real SQLite file: hashing, bundle, state, clock floor, anti-passback, events,
// counters, argument checks and use after close.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../protocol/errors.js';
import { openStore, StoreError } from '../../../device/store/index.js';
import type { DeviceStore } from '../../../device/store/index.js';
import { bundle, tempDir } from './helpers.js';
import { ManualClock, T0_MS } from '../../support/clock.js';
import type { TempDir } from './helpers.js';

let tmp: TempDir;
let store: DeviceStore;
const clock = new ManualClock(T0_MS);

beforeEach(() => {
  tmp = tempDir();
  store = openStore(tmp.file(), { now: () => clock.seconds });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError || err instanceof ProtocolError) return err.code;
    throw err;
  }
  throw new Error('expected an error');
}

describe('passHash', () => {
  it('is a stable 128-bit hex keyed hash per device, different on another device', () => {
    const h = store.passHash('0123456789abcdef0123456789abcdef');
    expect(h).toMatch(/^[0-9a-f]{32}$/);
    expect(store.passHash('0123456789abcdef0123456789abcdef')).toBe(h);
    expect(store.passHash('0123456789abcdef0123456789abcdee')).not.toBe(h);
    expect(h).not.toContain('0123456789abcdef');
    store.close();
    store = openStore(tmp.file());
    expect(store.passHash('0123456789abcdef0123456789abcdef')).toBe(h);
    const other = openStore(tmp.file('other.sqlite'));
    expect(other.passHash('0123456789abcdef0123456789abcdef')).not.toBe(h);
    other.close();
  });

  it('refuses an empty id', () => {
    expect(codeOf(() => store.passHash(''))).toBe('INVALID_ARGUMENT');
  });
});

describe('trust bundle', () => {
  it('is null until one is stored, then returns bytes, bundle and time as stored', () => {
    expect(store.getBundle()).toBeNull();
    const bytes = new Uint8Array([1, 2, 3, 4]);
    store.putBundle(bytes, bundle(3), 1_800_000_100);
    const got = store.getBundle();
    expect(got?.bundle).toEqual(bundle(3));
    expect(Array.from(got?.bytes ?? [])).toEqual([1, 2, 3, 4]);
    expect(got?.receivedAt).toBe(1_800_000_100);
    store.close();
    store = openStore(tmp.file());
    expect(store.getBundle()?.bundle.version).toBe(3);
  });

  it('refuses a version not above the one held and keeps the old bundle', () => {
    store.putBundle(new Uint8Array([3]), bundle(3), 1);
    expect(codeOf(() => store.putBundle(new Uint8Array([3]), bundle(3), 2))).toBe('VERSION_ROLLBACK');
    expect(codeOf(() => store.putBundle(new Uint8Array([2]), bundle(2), 2))).toBe('VERSION_ROLLBACK');
    expect(store.getBundle()?.receivedAt).toBe(1);
    store.putBundle(new Uint8Array([4]), bundle(4), 3);
    expect(store.getBundle()?.bundle.version).toBe(4);
    expect(Array.from(store.getBundle()?.bytes ?? [])).toEqual([4]);
  });

  it('refuses empty bytes and a version that is not a whole number', () => {
    expect(codeOf(() => store.putBundle(new Uint8Array(0), bundle(1), 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.putBundle(new Uint8Array([1]), { ...bundle(1), version: 1.5 }, 1))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(store.getBundle()).toBeNull();
  });
});

describe('state and clock floor', () => {
  it('stores, replaces and deletes values', () => {
    expect(store.getState('deviceToken')).toBeNull();
    store.setState('deviceToken', 'abc');
    store.setState('deviceToken', 'def');
    expect(store.getState('deviceToken')).toBe('def');
    store.setState('deviceToken', null);
    expect(store.getState('deviceToken')).toBeNull();
  });

  it('refuses malformed keys and the keys only the store writes', () => {
    expect(codeOf(() => store.setState('', 'x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.setState('has space', 'x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.setState('clockFloor', '0'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.setState('wipedAt', '0'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.setState('big', 'x'.repeat(70_000)))).toBe('INVALID_ARGUMENT');
  });

  it('raises the clock floor and never lowers it', () => {
    expect(store.clockFloor()).toBe(0);
    expect(store.raiseClockFloor(1_800_000_000)).toBe(1_800_000_000);
    expect(store.raiseClockFloor(1_700_000_000)).toBe(1_800_000_000);
    expect(store.raiseClockFloor(1_800_000_500)).toBe(1_800_000_500);
    expect(store.getState('clockFloor')).toBe('1800000500');
    store.close();
    store = openStore(tmp.file());
    expect(store.clockFloor()).toBe(1_800_000_500);
    expect(codeOf(() => store.raiseClockFloor(Number.NaN))).toBe('INVALID_ARGUMENT');
  });
});

describe('anti-passback', () => {
  const h = 'ab'.repeat(16);

  it('reports the last direction while the window is open, then nothing', () => {
    expect(store.passbackCheck(h, 'hall', 100)).toBeNull();
    store.passbackRecord(h, 'hall', 'in', 200);
    expect(store.passbackCheck(h, 'hall', 100)).toBe('in');
    expect(store.passbackCheck(h, 'other-zone', 100)).toBeNull();
    expect(store.passbackCheck(h, 'hall', 200)).toBeNull();
    store.passbackRecord(h, 'hall', 'out', 300);
    expect(store.passbackCheck(h, 'hall', 250)).toBe('out');
    store.passbackRemove(h, 'hall');
    expect(store.passbackCheck(h, 'hall', 250)).toBeNull();
  });

  it('takes only hashes, never something else', () => {
    expect(codeOf(() => store.passbackRecord('not a hash', 'hall', 'in', 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.passbackRecord(h, 'hall', 'sideways' as 'in', 1))).toBe('INVALID_ARGUMENT');
  });
});

describe('events and counters', () => {
  const h = 'cd'.repeat(16);
  const ev = {
    at: 1_800_000_000,
    colour: 'green' as const,
    reason: 'OK',
    passHash: h,
    direction: 'in' as const,
    opened: true,
  };

  it('queues events for upload in order, and marks them uploaded', () => {
    const a = store.addEvent(ev);
    const b = store.addEvent({
      ...ev,
      colour: 'red',
      reason: 'REVOKED',
      passHash: null,
      direction: null,
      opened: false,
    });
    expect(b).toBeGreaterThan(a);
    expect(store.pendingEvents(10)).toEqual([
      { id: a, ...ev, passed: true },
      {
        id: b,
        at: ev.at,
        colour: 'red',
        reason: 'REVOKED',
        passHash: null,
        direction: null,
        opened: false,
        passed: true,
      },
    ]);
    expect(store.pendingEvents(1).map((e) => e.id)).toEqual([a]);
    store.markUploaded([a]);
    expect(store.pendingEvents(10).map((e) => e.id)).toEqual([b]);
  });

  it('annuls a grant and queues the corrected event again', () => {
    const a = store.addEvent(ev);
    store.markUploaded([a]);
    store.markNotPassed(a);
    expect(store.pendingEvents(10)).toEqual([{ id: a, ...ev, passed: false }]);
  });

  it('never reuses an event id, also after the events were purged', () => {
    const a = store.addEvent(ev);
    store.purgeExpired(ev.at + 10 * 86_400, 86_400);
    expect(store.pendingEvents(10)).toEqual([]);
    expect(store.addEvent(ev)).toBeGreaterThan(a);
  });

  it('refuses a reason that could carry a payload, a bad colour and a pass id that is not a hash', () => {
    expect(codeOf(() => store.addEvent({ ...ev, reason: 'GC1:6BFOXN*TS0BI$ZD' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.addEvent({ ...ev, colour: 'blue' as 'red' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.addEvent({ ...ev, passHash: 'GC1:XYZ' }))).toBe('INVALID_ARGUMENT');
    expect(store.pendingEvents(10)).toEqual([]);
  });

  it('counts up and down, keeping the totals across reopen', () => {
    store.bump('entries');
    store.bump('entries');
    store.bump('denied:REVOKED', 3);
    store.bump('occupancy', 2);
    store.bump('occupancy', -1);
    expect(store.counters()).toEqual({ 'denied:REVOKED': 3, entries: 2, occupancy: 1 });
    store.close();
    store = openStore(tmp.file());
    expect(store.counters()).toEqual({ 'denied:REVOKED': 3, entries: 2, occupancy: 1 });
    expect(codeOf(() => store.bump('entries', 0.5))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => store.pendingEvents(0))).toBe('INVALID_ARGUMENT');
  });
});

describe('lifecycle', () => {
  it('refuses every call after close with CLOSED, and close twice is harmless', () => {
    store.close();
    store.close();
    expect(codeOf(() => store.counters())).toBe('CLOSED');
    expect(codeOf(() => store.isRevoked('00'))).toBe('CLOSED');
    store = openStore(tmp.file());
  });

  it('holds the secret, the token and the data in an owner-only file', async () => {
    const fs = await import('node:fs');
    expect(fs.statSync(tmp.file()).mode & 0o777).toBe(0o600);
  });

  it('reports a path it cannot create as OPEN_FAILED', async () => {
    const fs = await import('node:fs');
    fs.writeFileSync(tmp.file('plain-file'), 'x');
    expect(codeOf(() => openStore(tmp.file('plain-file/inside/device.sqlite')))).toBe('OPEN_FAILED');
  });
});
