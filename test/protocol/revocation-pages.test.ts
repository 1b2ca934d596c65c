// Delta pages (protocol/revocation-pages.ts): what the server signs is what a gate reads; a page is never a whole
// delta nor the reverse; tampering, another history, a rollback, a page of another set and a broken tiling are each
// refused with their reason; the fast encoder writes the generic canonical bytes.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkPageSet,
  cutIntoPages,
  isProtocolError,
  signBundle,
  signRevocationPage,
  signRevocations,
  verifyBundle,
  verifyRevocationPage,
  verifyRevocations,
  DELTA_PAGE_ENTRIES,
} from '../../protocol/index.js';
import type { RevocationPage, RevokedEntry } from '../../protocol/index.js';
import { cborEncode } from '../../protocol/internal/cbor.js';
import { encodePagePayload } from '../../protocol/revocation-pages.js';
import { OTHER_LOG_ID, TEST_LOG_ID, testKey } from '../vectors/fixed-keys.js';
import { DAY, mainBundle, T0_S } from '../vectors/pass-vectors.js';

const root = testKey('root');
const bundle = verifyBundle(signBundle(mainBundle(), root), root.publicKey);
const head = { logId: TEST_LOG_ID, fromSeq: 7, toSeq: 12, issuedAt: T0_S };
const held = { rootPublicKey: root.publicKey, bundle, logId: TEST_LOG_ID, currentSeq: 7 };

function reasonOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (err) {
    return isProtocolError(err) ? err.code : `other: ${String(err)}`;
  }
}

function ids(n: number, bytes = 16): string[] {
  return [...new Set(Array.from({ length: n }, () => randomBytes(bytes).toString('hex')))].sort();
}

/** A change of `nAdded` + `nRemoved` ids cut into pages of `perPage`. */
function pageSet(nAdded: number, nRemoved: number, perPage: number): RevocationPage[] {
  const all = ids(nAdded + nRemoved);
  const removed = all.filter((_, i) => i % (nAdded + nRemoved) < nRemoved);
  const taken = new Set(removed);
  const added: RevokedEntry[] = all
    .filter((id) => !taken.has(id))
    .map((revocationId, i) => ({ revocationId, expiresAt: T0_S + DAY + i }));
  return cutIntoPages(head, added, removed, perPage);
}

function generic(p: RevocationPage): Uint8Array {
  return cborEncode(
    new Map<string, unknown>([
      ['logId', Buffer.from(p.logId, 'hex')],
      ['fromSeq', p.fromSeq],
      ['toSeq', p.toSeq],
      ['issuedAt', p.issuedAt],
      ['page', p.page],
      ['pages', p.pages],
      ['lo', Buffer.from(p.lo, 'hex')],
      ['hi', p.hi === null ? null : Buffer.from(p.hi, 'hex')],
      ['added', p.added.map((a) => [Buffer.from(a.revocationId, 'hex'), a.expiresAt])],
      ['removed', p.removed.map((r) => Buffer.from(r, 'hex'))],
    ]),
  );
}

describe('delta pages', () => {
  it('round-trip: every page of a set verifies to what was signed, and the pages tile the id space', () => {
    const pages = pageSet(10, 3, 4);
    expect(pages.map((p) => p.pages)).toEqual([4, 4, 4, 4]);
    expect(pages[0]!.lo).toBe('');
    expect(pages[3]!.hi).toBeNull();
    const got = pages.map((p) => verifyRevocationPage(signRevocationPage(p, root), held));
    expect(got).toEqual(pages);
    for (let i = 1; i < got.length; i++) checkPageSet(got[0]!, got[i]!, got[i - 1]);
    // Together the pages are the whole change: each id once, in order.
    const all = got.flatMap((p) => [...p.added.map((a) => a.revocationId), ...p.removed]).sort();
    expect(new Set(all).size).toBe(13);
  });

  it('verifies a page signed by a revocation key of the bundle', () => {
    const [p] = pageSet(3, 0, 2);
    expect(verifyRevocationPage(signRevocationPage(p!, testKey('revocation')), held)).toEqual(p);
    expect(reasonOf(() => verifyRevocationPage(signRevocationPage(p!, testKey('issuer')), held))).toBe('UNKNOWN_KEY');
  });

  it('a tampered byte is a bad signature', () => {
    const bytes = signRevocationPage(pageSet(6, 0, 3)[1]!, root);
    const ids0 = Buffer.from(bytes).indexOf(0x82); // the first added entry
    const tampered = Uint8Array.from(bytes);
    tampered[ids0 + 5] = (tampered[ids0 + 5] as number) ^ 0x01;
    expect(reasonOf(() => verifyRevocationPage(tampered, held))).toBe('BAD_SIGNATURE');
  });

  it('a page is never taken as a whole delta, nor a delta as a page', () => {
    const page = signRevocationPage(pageSet(4, 0, 2)[0]!, root);
    expect(reasonOf(() => verifyRevocations(page, { rootPublicKey: root.publicKey, bundle, currentSeq: 7 }))).toBe(
      'MALFORMED',
    );
    const delta = signRevocations(
      { kind: 'delta', ...head, added: [{ revocationId: 'cd'.repeat(16), expiresAt: T0_S + DAY }], removed: [] },
      root,
    );
    expect(reasonOf(() => verifyRevocationPage(delta, held))).toBe('MALFORMED');
  });

  it('refuses a page of another history, a rolled-back page and one that does not start at the sequence held', () => {
    const bytes = signRevocationPage(pageSet(4, 0, 2)[0]!, root);
    expect(reasonOf(() => verifyRevocationPage(bytes, { ...held, logId: OTHER_LOG_ID }))).toBe('HISTORY_CHANGED');
    expect(reasonOf(() => verifyRevocationPage(bytes, { ...held, logId: null }))).toBe('HISTORY_CHANGED');
    expect(reasonOf(() => verifyRevocationPage(bytes, { ...held, currentSeq: 12 }))).toBe('VERSION_ROLLBACK');
    expect(reasonOf(() => verifyRevocationPage(bytes, { ...held, currentSeq: 13 }))).toBe('VERSION_ROLLBACK');
    expect(reasonOf(() => verifyRevocationPage(bytes, { ...held, currentSeq: 6 }))).toBe('SEQUENCE_GAP');
  });

  it('checkPageSet: a page of another set, or one that does not start where the page before ends', () => {
    const [a, b, c] = pageSet(6, 0, 2) as [RevocationPage, RevocationPage, RevocationPage];
    expect(reasonOf(() => checkPageSet(a, b, a))).toBe('OK');
    for (const over of [{ logId: OTHER_LOG_ID }, { fromSeq: 6 }, { toSeq: 13 }, { issuedAt: T0_S + 1 }, { pages: 4 }])
      expect(
        reasonOf(() => checkPageSet(a, { ...b, ...over })),
        JSON.stringify(over),
      ).toBe('PAGE_MISMATCH');
    expect(reasonOf(() => checkPageSet(a, c, a))).toBe('PAGE_MISMATCH'); // a page skipped
    expect(reasonOf(() => checkPageSet(a, c, { ...b, hi: c.lo.slice(0, -2) + '00' }))).toBe('PAGE_MISMATCH');
    // A page of a set cut elsewhere (same head and count, other bounds) does not tile with this one.
    const other = cutIntoPages(head, [...a.added, ...b.added, ...c.added].slice(1), [], 2);
    expect(other).toHaveLength(3);
    expect(reasonOf(() => checkPageSet(a, other[1]!, a))).toBe('PAGE_MISMATCH');
  });

  it('refuses to sign a page a gate would refuse', () => {
    const [a, b] = pageSet(4, 0, 2) as [RevocationPage, RevocationPage];
    const bad = (p: RevocationPage): string => reasonOf(() => signRevocationPage(p, root));
    expect(bad({ ...a, pages: 1, hi: null })).toBe('BAD_CLAIMS');
    expect(bad({ ...a, page: 2 })).toBe('BAD_CLAIMS');
    expect(bad({ ...a, lo: '00' })).toBe('BAD_CLAIMS'); // page 0 starts at the beginning
    expect(bad({ ...b, lo: '' })).toBe('BAD_CLAIMS');
    expect(bad({ ...a, hi: null })).toBe('BAD_CLAIMS'); // only the last page is open-ended
    expect(bad({ ...a, toSeq: 7 })).toBe('BAD_CLAIMS');
    expect(bad({ ...a, added: [...a.added].reverse() })).toBe('BAD_CLAIMS');
    expect(bad({ ...a, added: [...a.added, ...b.added] })).toBe('BAD_CLAIMS'); // beyond hi
    expect(bad({ ...b, added: [...a.added, ...b.added] })).toBe('BAD_CLAIMS'); // below lo
    expect(bad({ ...a, removed: [a.added[0]!.revocationId] })).toBe('BAD_CLAIMS');
    expect(bad({ ...a, added: [{ revocationId: 'xyz', expiresAt: 1 }] })).toBe('BAD_CLAIMS');
    const many = Array.from({ length: DELTA_PAGE_ENTRIES + 1 }, (_, i) => ({
      revocationId: i.toString(16).padStart(32, '0'),
      expiresAt: 1,
    }));
    expect(bad({ ...a, added: many, hi: 'ff'.repeat(17) })).toBe('BAD_CLAIMS');
  });

  it('the fast encoder writes the generic canonical bytes, for every head size', () => {
    const big = pageSet(300, 40, 170);
    const cases: RevocationPage[] = [
      ...pageSet(2, 0, 1),
      ...big,
      { ...big[0]!, fromSeq: 2 ** 32, toSeq: Number.MAX_SAFE_INTEGER, issuedAt: 0 },
      { ...big[1]!, added: big[1]!.added.map((a, i) => ({ ...a, expiresAt: [0, 23, 24, 255, 256, 65_536][i % 6]! })) },
    ];
    const long = cutIntoPages(
      head,
      ids(30, 32).map((revocationId) => ({ revocationId, expiresAt: 2 ** 32 })),
      ids(5, 24),
      20,
    );
    for (const p of [...cases, ...long]) expect(Buffer.from(encodePagePayload(p))).toEqual(Buffer.from(generic(p)));
  });

  it('cutIntoPages: a change that fits one page is not a page set', () => {
    expect(() => cutIntoPages(head, [{ revocationId: 'cd'.repeat(16), expiresAt: 1 }], [], 2)).toThrow(RangeError);
  });
});
