// The privacy window: events and anti-passback hashes last only for the retention window, and the sunset wipe
// leaves nothing but aggregate counters (and the anti-rollback marks) — not even in the file's free pages or WAL.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../protocol/errors.js';
import { openStore } from '../../../device/store/index.js';
import type { DeviceStore } from '../../../device/store/index.js';
import { bundle, delta, rawBytes, rid, tempDir } from './helpers.js';
import { ManualClock, T0_MS } from '../../support/clock.js';
import type { TempDir } from './helpers.js';

let tmp: TempDir;
let store: DeviceStore;
const clock = new ManualClock(T0_MS);
const DAY = 86_400;

beforeEach(() => {
  tmp = tempDir();
  clock.set(1_800_000_000 * 1000);
  store = openStore(tmp.file(), { now: () => clock.seconds });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

function event(at: number, passHash: string | null): Parameters<DeviceStore['addEvent']>[0] {
  return { at, colour: 'green', reason: 'OK', passHash, direction: 'in', opened: true };
}

function rowCount(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('retention', () => {
  it('purges events older than the window and expired anti-passback rows, keeping the counters', () => {
    const t = clock.seconds;
    const h = store.passHash('11112222333344445555666677778888');
    const old = store.addEvent(event(t - DAY - 1, h));
    const recent = store.addEvent(event(t - DAY + 60, h));
    store.bump('entries', 2);
    store.passbackRecord(h, 'hall', 'in', t - 1);
    store.passbackRecord(store.passHash('other'), 'hall', 'in', t + 60);
    expect(store.purgeExpired(t, DAY)).toEqual({ revocations: 0, events: 1, passback: 1 });
    expect(store.pendingEvents(10).map((e) => e.id)).toEqual([recent]);
    expect(store.pendingEvents(10).map((e) => e.id)).not.toContain(old);
    expect(store.counters()).toEqual({ entries: 2 });
    // Uploaded or not, an event does not outlive the window.
    store.markUploaded([recent]);
    clock.advanceSeconds(DAY);
    expect(store.purgeExpired(clock.seconds, DAY).events).toBe(1);
    expect(rowCount(tmp.file(), 'events')).toBe(0);
  });

  it('measures the window from the clock floor when the clock was set back', () => {
    const t = clock.seconds;
    store.addEvent(event(t - 3600, null));
    store.raiseClockFloor(t + DAY);
    expect(store.purgeExpired(t - 30 * DAY, DAY).events).toBe(1);
  });

  it('does not keep a purged hash in the file', () => {
    const marker = store.passHash('marker-pass-for-retention');
    store.addEvent(event(clock.seconds - 2 * DAY, marker));
    store.passbackRecord(marker, 'hall', 'in', clock.seconds - DAY);
    store.close();
    expect(rawBytes(tmp.file()).includes(marker)).toBe(true);
    store = openStore(tmp.file(), { now: () => clock.seconds });
    store.purgeExpired(clock.seconds, DAY);
    store.close();
    expect(rawBytes(tmp.file()).includes(marker)).toBe(false);
    store = openStore(tmp.file(), { now: () => clock.seconds });
  });
});

describe('wipe (sunset)', () => {
  function fill(s: DeviceStore): { marker: string; secret: Buffer } {
    const marker = s.passHash('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    s.addEvent(event(clock.seconds, marker));
    s.passbackRecord(marker, 'hall', 'in', clock.seconds + 3600);
    s.putBundle(new Uint8Array(Buffer.from('BUNDLE-BYTES-MARKER')), bundle(7), clock.seconds);
    s.applyRevocations(delta(0, 3, [rid(0xbeef, 0xcafe)]), clock.seconds);
    s.setState('deviceToken', 'TOKEN-MARKER-0123456789');
    s.setState('rootPublicKey', 'ROOT-KEY-MARKER');
    s.raiseClockFloor(clock.seconds);
    s.bump('entries', 5);
    s.bump('denied:REVOKED', 2);
    const db = new Database(tmp.file(), { readonly: true });
    const secret = db.prepare('SELECT secret FROM device_secret').pluck().get() as Buffer;
    db.close();
    return { marker, secret };
  }

  it('leaves only the counters, the clock floor and the wipe time, and none of the data in the files', () => {
    const { marker, secret } = fill(store);
    const before = rawBytes(tmp.file());
    // The markers are in the files before the wipe, so their absence afterwards means something.
    for (const m of [marker, 'TOKEN-MARKER-0123456789', 'BUNDLE-BYTES-MARKER']) expect(before.includes(m)).toBe(true);
    expect(before.includes(secret)).toBe(true);

    clock.advanceSeconds(60);
    store.wipe();
    expect(store.counters()).toEqual({ 'denied:REVOKED': 2, entries: 5 });
    expect(store.getBundle()).toBeNull();
    expect(store.pendingEvents(10)).toEqual([]);
    expect(store.isRevoked(rid(0xbeef, 0xcafe))).toBe(false);
    expect(store.passbackCheck(marker, 'hall', clock.seconds)).toBeNull();
    expect(store.getState('deviceToken')).toBeNull();
    expect(store.getState('rootPublicKey')).toBeNull();
    expect(store.clockFloor()).toBe(clock.seconds - 60);
    expect(store.getState('wipedAt')).toBe(String(clock.seconds));
    store.close();

    for (const table of ['events', 'passback', 'revocations', 'device_secret'])
      expect(rowCount(tmp.file(), table)).toBe(0);
    const after = rawBytes(tmp.file());
    for (const m of [marker, 'TOKEN-MARKER-0123456789', 'BUNDLE-BYTES-MARKER', 'ROOT-KEY-MARKER']) {
      expect(after.includes(m)).toBe(false);
    }
    expect(after.includes(secret)).toBe(false);
    expect(after.includes(Buffer.from(rid(0xbeef, 0xcafe), 'hex'))).toBe(false);
    store = openStore(tmp.file(), { now: () => clock.seconds });
  });

  it('makes old hashes unlinkable: the same pass id hashes differently afterwards', () => {
    const { marker } = fill(store);
    store.wipe();
    expect(store.passHash('0f1e2d3c4b5a69788796a5b4c3d2e1f0')).not.toBe(marker);
  });

  it('still refuses an older bundle and older revocations, and asks for the full list again', () => {
    fill(store);
    store.wipe();
    expect(() => store.putBundle(new Uint8Array([1]), bundle(6), clock.seconds)).toThrow(ProtocolError);
    expect(store.revocationSeq()).toBe(0);
    expect(() => store.applyRevocations(delta(0, 2, [rid(1)]), clock.seconds)).toThrow(
      expect.objectContaining({ code: 'VERSION_ROLLBACK' }),
    );
    expect(() => store.applyRevocations(delta(3, 4, [rid(1)]), clock.seconds)).toThrow(
      expect.objectContaining({ code: 'SEQUENCE_GAP' }),
    );
    store.applyRevocations(delta(0, 4, [rid(1)], [], { kind: 'snapshot' }), clock.seconds);
    expect(store.revocationSeq()).toBe(4);
    expect(store.isRevoked(rid(1))).toBe(true);
    store.putBundle(new Uint8Array([8]), bundle(8), clock.seconds);
    expect(store.getBundle()?.bundle.version).toBe(8);
  });
});
