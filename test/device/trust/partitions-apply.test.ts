// The device side of a partitioned sync, through the trust keeper into a real SQLite store: decisions go on while a
// large update is staged and see the list before or after it, never a mix across partitions; a partition refused
// in the middle of the stage (missed, rolled back, tampered) or a failed fetch leaves the list exactly as it was.
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideText, type DecideOptions, type GatePlace } from '../../../device/decide.js';
import { openStore } from '../../../device/store/index.js';
import type { DeviceStore } from '../../../device/store/types.js';
import { TrustKeeper } from '../../../device/trust/keeper.js';
import { VERIFY_IN_PLACE_BYTES } from '../../../device/trust/partition-verify.js';
import { silentLogger } from '../../../device/trust/types.js';
import { ManualClock } from '../../support/clock.js';
import { Deployment, SITE, T0_S } from '../../support/deployment.js';
import { tempDir, type TempDir } from '../store/helpers.js';
import { PartitionedList, rid } from './fixtures/partitioned-list.js';
import { leftovers } from '../../support/revocation-stage.js';

const PLACE: GatePlace = { site: SITE, zone: 'main', direction: 'in' };
const OPTIONS: DecideOptions = {
  skewSeconds: 300,
  localActions: {},
  localMaxOfflineAgeSeconds: null,
  passbackWindowSeconds: 3600,
};

let tmp: TempDir;
let store: DeviceStore | null = null;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  store?.close();
  store = null;
  tmp.cleanup();
});

function setup(d = new Deployment()): { db: DeviceStore; keeper: TrustKeeper; list: PartitionedList; d: Deployment } {
  const clock = new ManualClock();
  store = openStore(tmp.file(), { now: () => clock.seconds });
  const keeper = new TrustKeeper(store, clock, silentLogger, d.rootPublicKey);
  expect(keeper.accept('bundle', d.currentBytes).kind).toBe('applied');
  return { db: store, keeper, list: new PartitionedList(d.root, T0_S - 3600, d.logId), d };
}

/** Partitions as a server sends them: each after a turn of the event loop. */
const served =
  (list: PartitionedList) =>
  async (index: number): Promise<Uint8Array> => {
    await nextTurn();
    return list.partition(index);
  };

const range = (stream: number, n: number, from = 0) => Array.from({ length: n }, (_, k) => rid(stream, from + k));

describe('partitioned sync on the device', () => {
  it('answers decisions while a large update is staged, each seeing the list before or after it, never a mix', async () => {
    const { db, keeper, list, d } = setup();
    const early = rid(9, 1, 0x00);
    const late = rid(9, 2, 0xff);
    const base = range(0, 10_000);
    list.step([...base, late]);
    expect(await keeper.acceptPartitioned(list.manifest(), served(list))).toMatchObject({ kind: 'applied' });
    // The next step adds an id in the first partition and removes one in the last, among many other changes.
    const added = range(1, 10_000);
    const removed = base.slice(0, 2_500);
    const seq2 = list.step([early, ...added], [late, ...removed]);
    const passEarly = d.pass({ revocationId: early }).text;
    const passLate = d.pass({ revocationId: late }).text;

    // A second connection tells whether a stage is under way (pending_gen is committed when it begins).
    const probe = new Database(tmp.file(), { readonly: true });
    const staging = probe.prepare('SELECT pending_gen IS NOT NULL FROM revocation_state').pluck();
    type Seen = { staging: boolean; early: boolean; late: boolean; earlyRed: boolean; lateRed: boolean };
    const seen: Seen[] = [];
    let applying = true;
    const decisions = (async () => {
      while (applying) {
        const inputs = { trust: keeper.state(), place: PLACE, options: OPTIONS, store: db };
        seen.push({
          staging: staging.get() === 1,
          early: db.isRevoked(early),
          late: db.isRevoked(late),
          earlyRed: decideText(passEarly, T0_S, inputs).decision.reason === 'REVOKED',
          lateRed: decideText(passLate, T0_S, inputs).decision.reason === 'REVOKED',
        });
        await nextTurn();
      }
    })();
    const result = await keeper.acceptPartitioned(list.manifest(), served(list));
    applying = false;
    await decisions;
    probe.close();

    expect(result).toMatchObject({ kind: 'applied', version: seq2 });
    const before = { early: false, late: true, earlyRed: false, lateRed: true };
    const after = { early: true, late: false, earlyRed: true, lateRed: false };
    // Decisions were answered while the stage was being written (not only while partitions were fetched) …
    const during = seen.filter((o) => o.staging);
    expect(during.length).toBeGreaterThan(10);
    // … all of them on the list before; every decision saw one whole list, never one id old and the other new.
    expect(during.filter(({ staging: _, ...o }) => JSON.stringify(o) !== JSON.stringify(before))).toEqual([]);
    const mixed = seen.filter(
      ({ staging: _, ...o }) => ![before, after].some((l) => JSON.stringify(l) === JSON.stringify(o)),
    );
    expect(mixed).toEqual([]);
    expect(db.isRevoked(early)).toBe(true);
    expect(db.isRevoked(late)).toBe(false);
    expect(added.every((id) => db.isRevoked(id))).toBe(true);
    expect(removed.some((id) => db.isRevoked(id))).toBe(false);
    expect(base.slice(2_500).every((id) => db.isRevoked(id))).toBe(true);
    expect(db.revocationInfo()).toMatchObject({ seq: seq2, count: list.ids().length });
    expect(leftovers(tmp.file())).toEqual({ pending: null, hidden: 0 });
  });

  // The list held is at step 1; the manifest names step 3 for every partition. Partition 0x80 is served wrong.
  const faults = [
    {
      what: 'a missed partition (the one of step 2)',
      reason: 'PARTITION_STALE',
      serve: (l: PartitionedList) => l.partition(0x80, 2),
    },
    {
      what: 'a rolled-back partition (the one held)',
      reason: 'VERSION_ROLLBACK',
      serve: (l: PartitionedList) => l.partition(0x80, 1),
    },
    {
      what: 'a tampered partition',
      reason: 'BAD_SIGNATURE',
      serve: (l: PartitionedList) => {
        const bytes = new Uint8Array(l.partition(0x80));
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
        return bytes;
      },
    },
    {
      what: 'a failed fetch',
      reason: 'thrown',
      serve: (): Uint8Array => {
        throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
      },
    },
  ] as const;

  // Signing three steps of 256 partitions is the slow part: one history for every case (each has its own store).
  const base = [...range(0, 4_000), rid(0, 1, 0x80)];
  const added = [...range(2, 1_500), rid(2, 1, 0x80)];
  const removed = base.slice(500, 1_000);
  let history: PartitionedList | null = null;
  const faultHistory = (d: Deployment): PartitionedList => {
    if (history) return history;
    history = new PartitionedList(d.root, T0_S - 3600, d.logId);
    history.step(base);
    history.step([...range(1, 1_500), rid(1, 1, 0x80)], base.slice(0, 500));
    history.step(added, removed);
    return history;
  };
  const shared = new Deployment();

  it.each(faults)('refuses $what in the middle of a stage and leaves the list as it was', async ({ reason, serve }) => {
    const { db, keeper } = setup(shared);
    const list = faultHistory(shared);
    expect((await keeper.acceptPartitioned(list.manifest(1), (i) => Promise.resolve(list.partition(i, 1)))).kind).toBe(
      'applied',
    );
    const before = db.revocationInfo();
    const held = list.ids().filter((id) => !added.includes(id));

    let stagedBefore = 0;
    const fetch = async (index: number): Promise<Uint8Array> => {
      await nextTurn();
      if (index !== 0x80) return list.partition(index);
      // Other partitions are staged already: the fault comes in the middle of the stage.
      stagedBefore = leftovers(tmp.file()).hidden;
      return serve(list);
    };
    const outcome = await keeper.acceptPartitioned(list.manifest(), fetch).then(
      (r) => (r.kind === 'rejected' ? r.reason : r.kind),
      () => 'thrown',
    );

    expect(outcome).toBe(reason);
    expect(stagedBefore).toBeGreaterThan(0);
    expect(db.revocationInfo()).toEqual(before);
    expect(keeper.figures().revocationSeq).toBe(1);
    expect(added.some((id) => db.isRevoked(id))).toBe(false);
    expect(base.every((id) => db.isRevoked(id))).toBe(true);
    expect(held.length).toBeGreaterThan(0);
    expect(leftovers(tmp.file())).toEqual({ pending: null, hidden: 0 });
    // Served correctly, the same manifest applies: nothing of the refused stage is in the way.
    expect(await keeper.acceptPartitioned(list.manifest(), served(list))).toMatchObject({
      kind: 'applied',
      version: 3,
    });
    expect(added.every((id) => db.isRevoked(id))).toBe(true);
    expect(removed.some((id) => db.isRevoked(id))).toBe(false);
    expect(db.revocationInfo().count).toBe(list.ids().length);
  });

  it('verifies a large partition in the verifier thread, with the same refusals', async () => {
    const { db, keeper, list } = setup();
    const big = Array.from({ length: 3_500 }, (_, n) => rid(5, n, 0x42));
    list.step([...big, ...range(0, 300)]);
    expect(list.partition(0x42).length).toBeGreaterThan(VERIFY_IN_PLACE_BYTES);
    const tampered = async (index: number): Promise<Uint8Array> => {
      const bytes = new Uint8Array(list.partition(index));
      if (index === 0x42) bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
      return bytes;
    };
    expect(await keeper.acceptPartitioned(list.manifest(), tampered)).toMatchObject({
      kind: 'rejected',
      reason: 'BAD_SIGNATURE',
    });
    expect(db.revocationInfo()).toMatchObject({ seq: 0, count: 0 });
    expect(await keeper.acceptPartitioned(list.manifest(), served(list))).toMatchObject({
      kind: 'applied',
      version: 1,
    });
    expect(big.every((id) => db.isRevoked(id))).toBe(true);
    expect(db.revocationInfo().count).toBe(list.ids().length);
  });
});
