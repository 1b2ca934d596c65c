// The trust keeper on a real SQLite store: files loaded at start, the one writer the sync client calls, the clock floor.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../device/store/index.js';
import type { DeviceStore } from '../../device/store/index.js';
import { TrustFileError, TrustKeeper } from '../../device/trust/keeper.js';
import { signFreshness } from '../../protocol/index.js';
import { Deployment, T0_S } from '../support/deployment.js';
import { silentLog } from '../support/log.js';
import { ManualClock } from '../support/clock.js';

let dir: string;
let store: DeviceStore;
let clock: ManualClock;
const d = new Deployment();

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  clock = new ManualClock(T0_S * 1000);
  store = openStore(path.join(dir, 'device.db'), { now: () => Math.floor(clock.now() / 1000) });
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

describe('trust keeper', () => {
  it('loads bundle and revocation files, raises the clock floor and dates the data by its signed issue time', async () => {
    const revoked = d.pass();
    const keeper = new TrustKeeper(store, clock, silentLog(), d.rootPublicKey);
    expect(keeper.state()).toMatchObject({ bundle: null, trustDataAt: null });
    const results = await keeper.loadFiles(
      write('b.cose', d.bundleBytes({ issuedAt: T0_S - 3600 })),
      write(
        'r.cose',
        d.revocationSnapshot([{ revocationId: revoked.revocationId, expiresAt: revoked.expiresAt }], 3, T0_S - 7200),
      ),
    );
    expect(results.map((r) => r.kind)).toEqual(['applied', 'applied']);
    expect(keeper.state().bundle?.version).toBe(1);
    expect(keeper.state().clockFloor).toBe(T0_S - 3600);
    expect(keeper.state().trustDataAt).toBe(T0_S - 7200); // the older of the two
    expect(store.isRevoked(revoked.revocationId)).toBe(true);
  });

  it('ignores a file older than what the store holds, and refuses a file not signed by the root', async () => {
    const keeper = new TrustKeeper(store, clock, silentLog(), d.rootPublicKey);
    expect(keeper.accept('bundle', d.bundleBytes({ version: 5 })).kind).toBe('applied');
    const older = await keeper.loadFiles(write('old.cose', d.bundleBytes({ version: 4 })), null);
    expect(older[0]).toMatchObject({ kind: 'rejected', reason: 'VERSION_ROLLBACK' });
    expect(keeper.state().bundle?.version).toBe(5);

    const stranger = new Deployment();
    await expect(
      keeper.loadFiles(write('evil.cose', stranger.bundleBytes({ version: 9 })), null),
    ).rejects.toMatchObject({ code: 'REJECTED' });
    expect(keeper.state().bundle?.version).toBe(5);
    await expect(keeper.loadFiles(path.join(dir, 'missing.cose'), null)).rejects.toBeInstanceOf(TrustFileError);
  });

  it('needs a root key to verify anything', () => {
    const keeper = new TrustKeeper(store, clock, silentLog(), null);
    expect(() => keeper.accept('bundle', d.bundleBytes())).toThrow(expect.objectContaining({ code: 'NO_ROOT_KEY' }));
  });

  it('is the one writer for the sync client: new data takes effect, reports mark online/offline, signed data dates it', () => {
    let changes = 0;
    const keeper = new TrustKeeper(store, clock, silentLog(), d.rootPublicKey, () => changes++);
    keeper.accept('bundle', d.bundleBytes({ issuedAt: T0_S - 86_400 }));
    expect(changes).toBe(1);
    expect(keeper.state().trustDataAt).toBe(T0_S - 86_400);
    const rejected = keeper.accept('revocations', new Deployment().revocationSnapshot([]));
    expect(rejected).toMatchObject({ kind: 'rejected' });
    expect(changes).toBe(1);
    keeper.reportSync({ online: false, lastError: 'NETWORK' });
    expect(keeper.syncState()).toMatchObject({ online: false, lastError: 'NETWORK' });
    expect(keeper.state().trustDataAt).toBe(T0_S - 86_400);
    clock.advance(60_000);
    keeper.reportSync({ online: true, lastError: null, clockDriftSeconds: 2 });
    expect(keeper.syncState()).toMatchObject({ online: true, lastError: null, clockDriftSeconds: 2 });
    // A good answer alone (it may be an unsigned 304) does not make the data fresh; a signed statement does.
    expect(keeper.state().trustDataAt).toBe(T0_S - 86_400);
    const fresh = (issuedAt: number, revocationSeq = 0) =>
      keeper.accept('freshness', signFreshness({ issuedAt, logId: d.logId, bundleVersion: 1, revocationSeq }, d.root));
    expect(fresh(T0_S + 60)).toMatchObject({ kind: 'applied', issuedAt: T0_S + 60 });
    expect(changes).toBe(4); // the bundle, offline, online again, the statement
    expect(keeper.state()).toMatchObject({ trustDataAt: T0_S + 60, clockFloor: T0_S + 60 });
    expect(fresh(T0_S + 30)).toMatchObject({ kind: 'unchanged' }); // never moves backwards
    expect(fresh(T0_S + 90, 1)).toMatchObject({ kind: 'unchanged' }); // names data we do not hold
    expect(changes).toBe(4);
    expect(keeper.state().trustDataAt).toBe(T0_S + 60);
  });

  it('wipes at the sunset and stays refused after a restart, without loading the files again', async () => {
    const bundleFile = write('b.cose', d.bundleBytes());
    const keeper = new TrustKeeper(store, clock, silentLog(), d.rootPublicKey);
    await keeper.loadFiles(bundleFile, null);
    keeper.sunset();
    expect(keeper.state()).toMatchObject({ bundle: null, sunsetReached: true });
    const again = new TrustKeeper(store, clock, silentLog(), d.rootPublicKey);
    expect(await again.loadFiles(bundleFile, null)).toEqual([]);
    expect(again.state()).toMatchObject({ bundle: null, sunsetReached: true });
  });
});
