// Delta pages through the trust keeper into a real SQLite store (device/trust/delta-pages.ts), the pages served by a
// fake fetch: fetched at most 4 at a time, verified (large ones in the worker thread), staged with decisions answered
// between the steps (each seeing the list before or after the change, never a mix), published when every page is in;
// a page missed, of another set, rolled back, tampered or out of place undoes the stage and leaves the list exactly
// as it was, and the set applies when served correctly.
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../device/store/index.js';
import type { DeviceStore } from '../../../device/store/types.js';
import { SyncError } from '../../../device/sync/errors.js';
import { PAGE_PARALLELISM, type FetchPage } from '../../../device/trust/delta-pages.js';
import { TrustKeeper } from '../../../device/trust/keeper.js';
import { VERIFY_IN_PLACE_BYTES } from '../../../device/trust/partition-verify.js';
import { silentLogger } from '../../../device/trust/types.js';
import { cutIntoPages, signRevocationPage, signRevocations } from '../../../protocol/index.js';
import type { RevokedEntry } from '../../../protocol/types.js';
import { ManualClock } from '../../support/clock.js';
import { Deployment, T0_S } from '../../support/deployment.js';
import { tempDir, type TempDir } from '../store/helpers.js';
import { rid } from './fixtures/partitioned-list.js';

const EXPIRES = T0_S + 30 * 86_400;

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

const range = (stream: number, n: number) => Array.from({ length: n }, (_, k) => rid(stream, k));
const entries = (ids: string[]): RevokedEntry[] =>
  [...ids].sort().map((revocationId) => ({ revocationId, expiresAt: EXPIRES }));

const d = new Deployment();
const base = range(0, 4_000);
const added = range(1, 15_000);
const removed = [...base.slice(0, 1_500)].sort();
const issuedAt = (seq: number) => T0_S - 3600 + seq;

/**
 * The signed pages of the change from → to (1 → 2: `added` and `removed` over `base`), `perPage` entries each:
 * 3,000 make pages above 64 KiB (verified in the worker thread), 1,500 pages verified in place.
 */
function pageSet(
  fromSeq: number,
  toSeq: number,
  { add = added, remove = removed, key = d.root, perPage = 1_500 } = {},
): Uint8Array[] {
  const head = { logId: d.logId, fromSeq, toSeq, issuedAt: issuedAt(toSeq) };
  return cutIntoPages(head, entries(add), remove, perPage).map((p) => signRevocationPage(p, key));
}
const big = pageSet(1, 2, { perPage: 3_000 });
const good = pageSet(1, 2, { add: added.slice(0, 5_000), remove: removed.slice(0, 500) });

function setup() {
  const clock = new ManualClock();
  store = openStore(tmp.file(), { now: () => clock.seconds });
  const keeper = new TrustKeeper(store, clock, silentLogger, d.rootPublicKey);
  expect(keeper.accept('bundle', d.currentBytes).kind).toBe('applied');
  const first = signRevocations(
    { kind: 'delta', logId: d.logId, fromSeq: 0, toSeq: 1, issuedAt: issuedAt(1), added: entries(base), removed: [] },
    d.root,
  );
  expect(keeper.accept('revocations', first).kind).toBe('applied');
  return { db: store, keeper };
}

/** Serves `pages` (index → bytes) a turn later each, counting the fetches in flight. */
function server(pages: (page: number) => Uint8Array) {
  const stats = { inFlight: 0, maxInFlight: 0, asked: [] as number[] };
  const fetch: FetchPage = async (page, set) => {
    expect(set).toEqual({ logId: d.logId, fromSeq: 1, toSeq: 2, issuedAt: issuedAt(2) });
    stats.asked.push(page);
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      await nextTurn();
      await nextTurn();
      return pages(page);
    } finally {
      stats.inFlight--;
    }
  };
  return { fetch, stats };
}

function pending(file: string): number | null {
  const raw = new Database(file, { readonly: true });
  try {
    return raw.prepare('SELECT pending_gen FROM revocation_state').pluck().get() as number | null;
  } finally {
    raw.close();
  }
}

describe('delta pages on the device', () => {
  it('fetches the pages 4 at a time and applies them all at once, decisions seeing before or after', async () => {
    const { db, keeper } = setup();
    const good = big;
    expect(good.length).toBe(Math.ceil((added.length + removed.length) / 3_000));
    expect(good.slice(0, -1).every((p) => p.length > VERIFY_IN_PLACE_BYTES)).toBe(true);
    const early = [...added].sort()[0] as string;
    const late = removed.at(-1) as string;
    const seen: string[] = [];
    let applying = true;
    const decisions = (async () => {
      while (applying) {
        seen.push(`${db.isRevoked(early)} ${db.isRevoked(late)} ${db.revocationInfo().seq}`);
        await nextTurn();
      }
    })();
    const { fetch, stats } = server((page) => good[page] as Uint8Array);
    const result = await keeper.acceptDeltaPages(good[0] as Uint8Array, fetch);
    applying = false;
    await decisions;
    expect(result).toMatchObject({ kind: 'applied', version: 2 });
    expect(stats.asked.sort()).toEqual(Array.from({ length: good.length - 1 }, (_, k) => k + 1));
    expect(stats.maxInFlight).toBe(PAGE_PARALLELISM);
    // 16,500 ids in steps of 1,000: many decisions in between, each on one whole list.
    expect(seen.filter((s) => s === 'false true 1').length).toBeGreaterThan(16);
    expect(seen.filter((s) => s !== 'false true 1' && s !== 'true false 2')).toEqual([]);
    expect(added.every((id) => db.isRevoked(id))).toBe(true);
    expect(removed.some((id) => db.isRevoked(id))).toBe(false);
    expect(db.revocationInfo()).toMatchObject({ seq: 2, count: 4_000 - 1_500 + 15_000 });
    expect(pending(tmp.file())).toBeNull();
  }, 60_000);

  const tampered = (): Uint8Array => {
    const bytes = new Uint8Array(good[3] as Uint8Array);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    return bytes;
  };
  // Page 3 of 4 served wrong, while the pages before it are staged.
  const faults = [
    {
      what: 'a page whose fetch fails',
      reason: 'NETWORK',
      serve: () => {
        throw new SyncError('NETWORK', 'GET /revocations/pages/3: ECONNRESET');
      },
    },
    {
      what: 'a page set the server can no longer make',
      reason: 'HTTP_STATUS',
      serve: () => {
        throw new SyncError('HTTP_STATUS', 'server answered 410: REVOCATION_PAGES_GONE', 410);
      },
    },
    {
      what: 'a page of another set',
      reason: 'PAGE_MISMATCH',
      serve: () => pageSet(1, 3, { add: added.slice(0, 5_000), remove: removed.slice(0, 500) })[3] as Uint8Array,
    },
    { what: 'another page of the set', reason: 'PAGE_MISMATCH', serve: () => good[2] as Uint8Array },
    {
      what: 'a rolled-back page (of the set the list is at)',
      reason: 'VERSION_ROLLBACK',
      serve: () => pageSet(0, 1, { add: range(7, 5_000), remove: [] })[3] as Uint8Array,
    },
    { what: 'a tampered page', reason: 'BAD_SIGNATURE', serve: tampered },
    {
      what: 'a page signed by another key',
      reason: 'UNKNOWN_KEY',
      serve: () =>
        pageSet(1, 2, {
          add: added.slice(0, 5_000),
          remove: removed.slice(0, 500),
          key: new Deployment().root,
        })[3] as Uint8Array,
    },
  ] as const;

  it.each(faults)(
    'undoes the stage for $what and leaves the list as it was',
    async ({ reason, serve }) => {
      const { db, keeper } = setup();
      const before = db.revocationInfo();
      let stagedBefore = false;
      const { fetch } = server((page) => {
        if (page !== 3) return good[page] as Uint8Array;
        stagedBefore = pending(tmp.file()) !== null;
        return serve();
      });
      const outcome = await keeper.acceptDeltaPages(good[0] as Uint8Array, fetch).then(
        (r) => (r.kind === 'rejected' ? r.reason : r.kind),
        (err: SyncError) => err.code,
      );
      expect(outcome).toBe(reason);
      expect(stagedBefore).toBe(true);
      if (reason !== 'NETWORK' && reason !== 'HTTP_STATUS') expect(db.counters()[`sync_reject:${reason}`]).toBe(1);
      expect(db.revocationInfo()).toEqual(before);
      expect(added.some((id) => db.isRevoked(id))).toBe(false);
      expect(base.every((id) => db.isRevoked(id))).toBe(true);
      expect(pending(tmp.file())).toBeNull();
      expect(good[3]?.length).toBeLessThanOrEqual(VERIFY_IN_PLACE_BYTES);
      // Served correctly (the next cycle), the set applies: nothing of the undone stage is in the way.
      expect(
        await keeper.acceptDeltaPages(good[0] as Uint8Array, server((p) => good[p] as Uint8Array).fetch),
      ).toMatchObject({ kind: 'applied', version: 2 });
      expect(db.revocationInfo().count).toBe(4_000 - 500 + 5_000);
    },
    60_000,
  );

  it('refuses a first answer that is not page 0, or a page of a set the list is not at', async () => {
    const { db, keeper } = setup();
    const never = server(() => {
      throw new Error('not asked');
    }).fetch;
    expect(await keeper.acceptDeltaPages(good[1] as Uint8Array, never)).toMatchObject({ reason: 'PAGE_MISMATCH' });
    expect(await keeper.acceptDeltaPages(pageSet(2, 3)[0] as Uint8Array, never)).toMatchObject({
      reason: 'SEQUENCE_GAP',
    });
    // A whole delta is not a page.
    const delta = signRevocations(
      {
        kind: 'delta',
        logId: d.logId,
        fromSeq: 1,
        toSeq: 2,
        issuedAt: issuedAt(2),
        added: entries(added.slice(0, 10)),
        removed: [],
      },
      d.root,
    );
    expect((await keeper.acceptDeltaPages(delta, never)).kind).toBe('rejected');
    expect(db.revocationInfo()).toMatchObject({ seq: 1, count: 4_000 });
  }, 60_000);
});
