// A large revocation delta through the trust keeper into a real SQLite store (device/trust/delta-staged.ts): verified
// in the worker thread, staged in short transactions with decisions answered between them (each seeing the list
// before or after the delta, never a mix), published in one; a refused or failing one leaves the list as it was,
// and a small delta keeps the one-transaction path.
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideText, type DecideOptions, type GatePlace } from '../../../device/decide.js';
import { openStore } from '../../../device/store/index.js';
import type { DeviceStore } from '../../../device/store/types.js';
import { STAGED_DELTA_BYTES } from '../../../device/trust/delta-staged.js';
import { TrustKeeper } from '../../../device/trust/keeper.js';
import { silentLogger } from '../../../device/trust/types.js';
import { signRevocations } from '../../../protocol/index.js';
import type { RevocationDelta } from '../../../protocol/types.js';
import { ManualClock } from '../../support/clock.js';
import { Deployment, SITE, T0_S } from '../../support/deployment.js';
import { tempDir, type TempDir } from '../store/helpers.js';
import { rid } from './fixtures/partitioned-list.js';

const PLACE: GatePlace = { site: SITE, zone: 'main', direction: 'in' };
const OPTIONS: DecideOptions = {
  skewSeconds: 300,
  localActions: {},
  localMaxOfflineAgeSeconds: null,
  passbackWindowSeconds: 3600,
};
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

function setup(d: Deployment) {
  const clock = new ManualClock();
  store = openStore(tmp.file(), { now: () => clock.seconds });
  const keeper = new TrustKeeper(store, clock, silentLogger, d.rootPublicKey);
  expect(keeper.accept('bundle', d.currentBytes).kind).toBe('applied');
  return { db: store, keeper };
}

function signed(d: Deployment, fromSeq: number, toSeq: number, added: string[], removed: string[] = []): Uint8Array {
  const delta: RevocationDelta = {
    kind: 'delta',
    logId: d.logId,
    fromSeq,
    toSeq,
    issuedAt: T0_S - 3600 + toSeq,
    added: added.map((revocationId) => ({ revocationId, expiresAt: EXPIRES })),
    removed,
  };
  return signRevocations(delta, d.root);
}

function pending(file: string): number | null {
  const raw = new Database(file, { readonly: true });
  try {
    return raw.prepare('SELECT pending_gen FROM revocation_state').pluck().get() as number | null;
  } finally {
    raw.close();
  }
}

describe('a large delta through a staged update', () => {
  const d = new Deployment();
  const base = range(0, 3_000);
  // In the order a server signs them (not by id): the worker sorts them.
  const added = range(1, 6_000);
  const removed = base.slice(0, 1_000);
  const early = [...added].sort()[0] as string;
  const late = [...removed].sort().at(-1) as string;

  it('answers decisions between its steps, each seeing the list before or after it, never a mix', async () => {
    const { db, keeper } = setup(d);
    expect((await keeper.acceptRevocations(signed(d, 0, 1, base))).kind).toBe('applied');
    const bytes = signed(d, 1, 2, added, removed);
    expect(bytes.length).toBeGreaterThan(STAGED_DELTA_BYTES);
    const passEarly = d.pass({ revocationId: early }).text;
    const passLate = d.pass({ revocationId: late }).text;
    const probe = new Database(tmp.file(), { readonly: true });
    const staging = probe.prepare('SELECT pending_gen IS NOT NULL FROM revocation_state').pluck();
    const seen: { staging: boolean; look: string }[] = [];
    let applying = true;
    const decisions = (async () => {
      while (applying) {
        const inputs = { trust: keeper.state(), place: PLACE, options: OPTIONS, store: db };
        const red = (text: string) => decideText(text, T0_S, inputs).decision.reason === 'REVOKED';
        seen.push({
          staging: staging.get() === 1,
          look: `${db.isRevoked(early)} ${db.isRevoked(late)} ${red(passEarly)} ${red(passLate)}`,
        });
        await nextTurn();
      }
    })();
    const result = await keeper.acceptRevocations(bytes);
    applying = false;
    await decisions;
    probe.close();
    expect(result).toMatchObject({ kind: 'applied', version: 2 });
    const before = 'false true false true';
    const after = 'true false true false';
    const during = seen.filter((o) => o.staging);
    // 7,000 ids in steps of 1,000: decisions were answered between the steps, on the list before.
    expect(during.length).toBeGreaterThanOrEqual(6);
    expect(during.filter((o) => o.look !== before)).toEqual([]);
    expect(seen.filter((o) => o.look !== before && o.look !== after)).toEqual([]);
    expect(seen.at(-1)?.look).toBe(after);
    expect(added.every((id) => db.isRevoked(id))).toBe(true);
    expect(removed.some((id) => db.isRevoked(id))).toBe(false);
    expect(db.revocationInfo()).toMatchObject({ seq: 2, count: 8_000 });
    expect(keeper.figures().revocationSeq).toBe(2);
    expect(pending(tmp.file())).toBeNull();
    // The same answer again (a re-sent last step): unchanged, not a rejection.
    expect(await keeper.acceptRevocations(bytes)).toMatchObject({ kind: 'unchanged' });
  }, 60_000);

  it('refuses a tampered, gapped or foreign large delta and leaves the list as it was', async () => {
    const { db, keeper } = setup(d);
    expect((await keeper.acceptRevocations(signed(d, 0, 1, base))).kind).toBe('applied');
    const before = db.revocationInfo();
    const tampered = new Uint8Array(signed(d, 1, 2, added, removed));
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    const other = new Deployment();
    const cases: [Uint8Array, string][] = [
      [tampered, 'BAD_SIGNATURE'],
      [signed(d, 3, 4, added), 'SEQUENCE_GAP'],
      [signed(other, 1, 2, added), 'UNKNOWN_KEY'],
    ];
    for (const [bytes, reason] of cases) {
      expect(await keeper.acceptRevocations(bytes)).toMatchObject({ kind: 'rejected', reason });
      expect(db.counters()[`sync_reject:${reason}`]).toBe(1);
    }
    expect(db.revocationInfo()).toEqual(before);
    expect(added.some((id) => db.isRevoked(id))).toBe(false);
  }, 60_000);

  it('undoes the stage when the store fails in the middle of it', async () => {
    const { db, keeper } = setup(d);
    expect((await keeper.acceptRevocations(signed(d, 0, 1, base))).kind).toBe('applied');
    const before = db.revocationInfo();
    // The store's stage fails at its fourth step (as a full disk would).
    const begin = db.beginRevocationStage.bind(db);
    db.beginRevocationStage = (t) => {
      const s = begin(t);
      return {
        ...s,
        applyDelta: (a, r) => ({
          *[Symbol.iterator]() {
            let n = 0;
            for (const rows of s.applyDelta(a, r)) {
              if (++n === 4) throw Object.assign(new Error('disk full'), { name: 'StoreError', code: 'IO' });
              yield rows;
            }
          },
        }),
      };
    };
    const result = await keeper.acceptRevocations(signed(d, 1, 2, added, removed)).catch((e: Error) => e.message);
    expect(result).toBe('disk full');
    expect(db.revocationInfo()).toEqual(before);
    expect(added.some((id) => db.isRevoked(id))).toBe(false);
    expect(removed.every((id) => db.isRevoked(id))).toBe(true);
    expect(pending(tmp.file())).toBeNull();
  }, 60_000);

  it('keeps the one-transaction path for a small delta', async () => {
    const { db, keeper } = setup(d);
    const small = signed(d, 0, 1, range(3, 200));
    expect(small.length).toBeLessThanOrEqual(STAGED_DELTA_BYTES);
    let staged = 0;
    const begin = db.beginRevocationStage.bind(db);
    db.beginRevocationStage = (t) => {
      staged++;
      return begin(t);
    };
    expect(await keeper.acceptRevocations(small)).toMatchObject({ kind: 'applied', version: 1 });
    expect(staged).toBe(0);
    expect(await keeper.acceptRevocations(signed(d, 1, 2, added))).toMatchObject({ kind: 'applied', version: 2 });
    expect(staged).toBe(1);
  }, 60_000);
});
