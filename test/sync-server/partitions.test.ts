// Partitioned revocation sync against the real server app and a real device store (SQLite file): the manifest
// for a device that needs a whole large list, only the touched partitions rebuilt after a step, and the rejections
// a device makes: a missed partition (PARTITION_STALE), a rolled-back one (VERSION_ROLLBACK), a tampered one.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../device/store/index.js';
import type { DeviceStore } from '../../device/store/types.js';
import { TrustKeeper } from '../../device/trust/keeper.js';
import {
  verifyBundle,
  verifyManifest,
  verifyPartition,
  type ProtocolReason,
  type RevocationManifest,
  type RevocationPartition,
} from '../../protocol/index.js';
import { decodePublicKey } from '../../protocol/index.js';
import { bytesOf, enrolDevice, openTestServer, type TestServer } from '../support/server.js';

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
let s: TestServer | null = null;
let store: DeviceStore | null = null;
afterEach(() => {
  store?.close();
  s?.close();
  store = null;
  s = null;
});

const ids = (n: number, prefix = '') =>
  Array.from({ length: n }, () => prefix + randomBytes(16).toString('hex').slice(prefix.length));

function revoke(server: TestServer, revocationIds: string[]): number {
  const core = server.services.core;
  return core.change({ revocations: true }, (now) =>
    core.revocations.addStep(
      revocationIds.map((revocationId) => ({ revocationId, expiresAt: now + 86400 })),
      now,
    ),
  );
}

async function partitionBytes(server: TestServer, token: string, index: number): Promise<Uint8Array> {
  const res = await server.device(token, 'GET', `/api/device/revocations/partitions/${index}`, undefined, {
    'Accept-Encoding': 'gzip',
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-encoding')).toBe('gzip');
  return new Uint8Array(zlib.gunzipSync(await bytesOf(res)));
}

const reasonOf = (fn: () => unknown): ProtocolReason | 'none' => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return (err as { code: ProtocolReason }).code;
  }
};

describe('partitioned revocation sync', () => {
  it('syncs a large list by partitions, rebuilds only touched ones, and refuses missed, rolled-back and tampered partitions', async () => {
    s = openTestServer({ revocations: { partitionAbove: 100 } });
    const server = s;
    const dev = await enrolDevice(server);
    const root = decodePublicKey(dev.rootPublicKey);
    store = openStore(path.join(server.dir, 'device.db'));
    const db = store;
    const bundleBytes = await bytesOf(await server.device(dev.token, 'GET', '/api/device/bundle'));
    const bundle = verifyBundle(bundleBytes, root);
    db.putBundle(bundleBytes, bundle, server.clock.seconds);

    const first = [...ids(400), ...ids(3, 'ab')];
    const seq1 = revoke(server, first);
    // A device asking for a whole list that takes partitions gets the manifest (the list is above partitionAbove).
    const res = await server.device(dev.token, 'GET', '/api/device/revocations?partitions=1');
    expect(res.headers.get('gatecode-revocation-kind')).toBe('partitioned');
    const m1Bytes = await bytesOf(res);
    const m1 = verifyManifest(m1Bytes, { rootPublicKey: root, bundle, currentSeq: 0, logId: null });
    expect(m1.seq).toBe(seq1);
    expect(m1.partitions).toHaveLength(256);
    expect(m1.partitions.reduce((n, p) => n + p.count, 0)).toBe(first.length);
    // Without partitions=1 the same device still gets one snapshot (the existing path).
    expect(
      (await server.device(dev.token, 'GET', '/api/device/revocations')).headers.get('gatecode-revocation-kind'),
    ).toBe('snapshot');

    const fetchAll = async (m: RevocationManifest, heldSeq: number): Promise<RevocationPartition[]> => {
      const wanted = m.partitions.flatMap((p, i) => (p.version > heldSeq && p.count > 0 ? [i] : []));
      return Promise.all(
        wanted.map(async (index) =>
          verifyPartition(await partitionBytes(server, dev.token, index), {
            rootPublicKey: root,
            bundle,
            manifest: m,
            index,
            heldSeq,
          }),
        ),
      );
    };
    const parts1 = await fetchAll(m1, 0);
    const ab1 = await partitionBytes(server, dev.token, 0xab);
    db.applyRevocationPartitions(
      { logId: m1.logId, seq: m1.seq, issuedAt: m1.issuedAt, prefixHex: m1.prefixHex, whole: true, partitions: parts1 },
      server.clock.seconds,
    );
    expect(db.revocationSeq()).toBe(seq1);
    expect(first.every((id) => db.isRevoked(id))).toBe(true);

    // One step touching partition 0xab: only that partition gets a new version; every other entry is unchanged.
    const second = ids(1, 'ab');
    const seq2 = revoke(server, second);
    const ab2 = await partitionBytes(server, dev.token, 0xab);
    const third = ids(1, 'ab');
    const seq3 = revoke(server, third);
    const m3res = await server.device(dev.token, 'GET', '/api/device/revocations/manifest');
    const m3 = verifyManifest(await bytesOf(m3res), { rootPublicKey: root, bundle, currentSeq: seq1, logId: m1.logId });
    const changed = m3.partitions.flatMap((p, i) => (p.version > seq1 ? [i] : []));
    expect(changed).toEqual([0xab]);
    expect(m3.partitions[0xab]?.version).toBe(seq3);
    m3.partitions.forEach((p, i) => {
      if (i !== 0xab) expect(p).toEqual(m1.partitions[i]);
    });

    const check = (bytes: Uint8Array) => () =>
      verifyPartition(bytes, { rootPublicKey: root, bundle, manifest: m3, index: 0xab, heldSeq: seq1 });
    // A missed partition: a cache served the one of step 2 while the manifest names step 3.
    expect(seq2).toBeGreaterThan(seq1);
    expect(reasonOf(check(ab2))).toBe('PARTITION_STALE');
    // A rolled-back partition: not newer than the list the device holds.
    expect(reasonOf(check(ab1))).toBe('VERSION_ROLLBACK');
    // A tampered partition: one byte changed.
    const current = await partitionBytes(server, dev.token, 0xab);
    const tampered = new Uint8Array(current);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    expect(reasonOf(check(tampered))).toBe('BAD_SIGNATURE');
    // Nothing of the refused partitions reached the store.
    expect(db.revocationSeq()).toBe(seq1);
    expect(db.isRevoked(third[0] as string)).toBe(false);

    // The good partition applies alone (only the changed one is fetched), in one transaction.
    const parts3 = await fetchAll(m3, seq1);
    expect(parts3.map((p) => p.index)).toEqual([0xab]);
    const update = {
      logId: m3.logId,
      seq: m3.seq,
      issuedAt: m3.issuedAt,
      prefixHex: m3.prefixHex,
      whole: false,
      partitions: parts3,
    };
    db.applyRevocationPartitions(update, server.clock.seconds);
    expect(db.revocationSeq()).toBe(seq3);
    expect([...first, ...second, ...third].every((id) => db.isRevoked(id))).toBe(true);
    // The same update again is a rollback, refused by the store itself.
    expect(reasonOf(() => db.applyRevocationPartitions(update, server.clock.seconds))).toBe('VERSION_ROLLBACK');
    // A replayed older manifest is refused too.
    expect(
      reasonOf(() => verifyManifest(m1Bytes, { rootPublicKey: root, bundle, currentSeq: seq3, logId: m3.logId })),
    ).toBe('VERSION_ROLLBACK');
  });
  it('applies a partitioned list through the trust keeper in one transaction, and refuses a tampered partition whole', async () => {
    s = openTestServer({ revocations: { partitionAbove: 100 } });
    const server = s;
    const dev = await enrolDevice(server);
    store = openStore(path.join(server.dir, 'device.db'));
    const db = store;
    const keeper = new TrustKeeper(db, server.clock, silentLogger, dev.rootPublicKey);
    const bundleBytes = await bytesOf(await server.device(dev.token, 'GET', '/api/device/bundle'));
    expect(keeper.accept('bundle', bundleBytes).kind).toBe('applied');
    const first = ids(500);
    const seq1 = revoke(server, first);
    const manifest = async () => bytesOf(await server.device(dev.token, 'GET', '/api/device/revocations/manifest'));
    const fetched: number[] = [];
    const fetchPartition = async (index: number) => {
      fetched.push(index);
      return partitionBytes(server, dev.token, index);
    };
    expect(await keeper.acceptPartitioned(await manifest(), fetchPartition)).toMatchObject({
      kind: 'applied',
      version: seq1,
    });
    expect(first.every((id) => db.isRevoked(id))).toBe(true);
    expect(keeper.figures().revocationSeq).toBe(seq1);

    // Two partitions change; one of them arrives tampered: nothing of either is applied.
    const next = [...ids(1, '00'), ...ids(1, 'ff')];
    revoke(server, next);
    fetched.length = 0;
    const tampering = async (index: number) => {
      const bytes = await fetchPartition(index);
      if (index === 0xff) bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
      return bytes;
    };
    expect(await keeper.acceptPartitioned(await manifest(), tampering)).toMatchObject({
      kind: 'rejected',
      reason: 'BAD_SIGNATURE',
    });
    expect(fetched.sort((a, b) => a - b)).toEqual([0x00, 0xff]);
    expect(db.revocationSeq()).toBe(seq1);
    expect(next.some((id) => db.isRevoked(id))).toBe(false);
    // Untampered, only the two changed partitions are fetched and applied.
    fetched.length = 0;
    expect((await keeper.acceptPartitioned(await manifest(), fetchPartition)).kind).toBe('applied');
    expect(fetched.sort((a, b) => a - b)).toEqual([0x00, 0xff]);
    expect(next.every((id) => db.isRevoked(id))).toBe(true);
  });
});
