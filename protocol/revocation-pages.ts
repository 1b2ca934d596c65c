// Delta pages (docs/protocol.md "Delta pages"): a change S → T of more than DELTA_PAGE_ENTRIES ids, cut by
// revocation id into signed pages, so that a gate holding the list at S fetches only the change however large.
// Wire: COSE_Sign1 (root key or a bundle revocation key), content type application/gatecode-revocation-page+cbor
// (never taken for a whole delta, nor a delta for a page), payload a canonical CBOR map:
//   { logId: bstr(16), fromSeq, toSeq, issuedAt, page (0-based), pages (≥ 2), lo: bstr, hi: bstr | null,
//     added: [[rid bstr, expiresAt], …], removed: [rid bstr, …] }
// Every id lies in [lo, hi) (byte order; lo empty on page 0, hi null on the last page); added and removed each
// ascend by id, and no id is in both. The pages of one set share logId, fromSeq, toSeq, issuedAt and pages, and tile
// the id space: page i's lo is page i−1's hi (checkPageSet). A gate applies the set only when every page is in.
import { ProtocolError } from './errors.js';
import type { RevokedEntry } from './types.js';
import { cborDecodeStrict, isBytes, writeHead } from './internal/cbor.js';
import { bad, expectMap, signDocument, uint } from './internal/document.js';
import { HEX_ID, readAdded, readRemoved } from './internal/revocation-entries.js';
import { logIdBytes, readLogId } from './log-id.js';
import type { SigningKey } from './keys.js';
import { toHex } from './keys.js';
import { ID_MAX_BYTES } from './pass/claims.js';
import { checkSignature, type Signed } from './revocation-partitions.js';
import { MAX_REVOCATIONS_BYTES } from './revocations.js';

export const CTY_REVOCATION_PAGE = 'application/gatecode-revocation-page+cbor';
/** Entries (added + removed) in one page at most: a delta above this goes in pages. */
export const DELTA_PAGE_ENTRIES = 262_144;
/** A page is at most as large as a whole delta document. */
export const MAX_PAGE_BYTES = MAX_REVOCATIONS_BYTES;
/** Pages in one set at most (a change of about a thousand million ids). */
export const MAX_DELTA_PAGES = 4096;

export interface RevocationPage {
  readonly logId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly issuedAt: number;
  /** 0-based index of this page in its set. */
  readonly page: number;
  /** Pages in the set (at least 2: a change that fits one page is a whole delta). */
  readonly pages: number;
  /** Inclusive lower id bound, lower-case hex; empty on page 0. */
  readonly lo: string;
  /** Exclusive upper id bound, lower-case hex; null on the last page. */
  readonly hi: string | null;
  /** Ascending by id. */
  readonly added: readonly RevokedEntry[];
  /** Ascending. */
  readonly removed: readonly string[];
}

/** The fields every page of one set shares. */
export type PageSetHead = Pick<RevocationPage, 'logId' | 'fromSeq' | 'toSeq' | 'issuedAt'>;

const BOUND = /^(?:[0-9a-f]{2}){1,32}$/;
const KEYS = ['logId', 'fromSeq', 'toSeq', 'issuedAt', 'page', 'pages', 'lo', 'hi', 'added', 'removed'];

function isWhole(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** Ids strictly ascending and all in [lo, hi). */
function checkIds(ids: readonly string[], lo: string, hi: string | null, what: string): void {
  let last = '';
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    if (i > 0 && id <= last) bad(`page.${what}: ids not in ascending order`);
    last = id;
  }
  if (ids.length === 0) return;
  if ((ids[0] as string) < lo || (hi !== null && last >= hi)) bad(`page.${what}: an id outside the page's bounds`);
}

/** No id both added and removed (both lists ascending: one merge walk). */
function checkDisjoint(added: readonly RevokedEntry[], removed: readonly string[]): void {
  let j = 0;
  for (const a of added) {
    while (j < removed.length && (removed[j] as string) < a.revocationId) j++;
    if (removed[j] === a.revocationId) bad('page: an id both added and removed');
  }
}

/** The rules on a page's head (its numbers, bounds and size), for what is signed and what is read alike. */
function checkPageHead(p: RevocationPage): void {
  for (const n of [p.fromSeq, p.toSeq, p.issuedAt, p.page, p.pages])
    if (!isWhole(n)) bad('page: a sequence, time or index is not a whole non-negative number');
  if (p.toSeq <= p.fromSeq) bad('page: toSeq must be above fromSeq');
  if (p.pages < 2 || p.pages > MAX_DELTA_PAGES) bad(`page.pages: 2 to ${MAX_DELTA_PAGES}`);
  if (p.page >= p.pages) bad('page.page: beyond the pages');
  if ((p.page === 0) !== (p.lo === '')) bad('page.lo: empty exactly on page 0');
  if (p.lo !== '' && !BOUND.test(p.lo)) bad('page.lo: 1-32 bytes');
  if ((p.page === p.pages - 1) !== (p.hi === null)) bad('page.hi: null exactly on the last page');
  if (p.hi !== null && (!BOUND.test(p.hi) || p.hi <= p.lo)) bad('page.hi: 1-32 bytes above lo');
  if (p.added.length + p.removed.length > DELTA_PAGE_ENTRIES) bad(`page: more than ${DELTA_PAGE_ENTRIES} entries`);
}

/** The rules a page obeys as a gate reads it (BAD_CLAIMS). */
function checkPage(p: RevocationPage): void {
  checkPageHead(p);
  checkIds(
    p.added.map((a) => a.revocationId),
    p.lo,
    p.hi,
    'added',
  );
  checkIds(p.removed, p.lo, p.hi, 'removed');
  checkDisjoint(p.added, p.removed);
}

function decodePage(payload: Uint8Array): RevocationPage {
  const what = 'page';
  const map = expectMap(cborDecodeStrict(payload, 'BAD_CLAIMS'), KEYS, what);
  const lo = map.get('lo');
  if (!isBytes(lo) || lo.length > ID_MAX_BYTES) bad('page.lo: at most 32 bytes');
  const hiValue = map.get('hi');
  let hi: string | null = null;
  if (hiValue !== null) {
    if (!isBytes(hiValue) || hiValue.length < 1 || hiValue.length > ID_MAX_BYTES) bad('page.hi: 1-32 bytes or null');
    hi = toHex(hiValue);
  }
  const p: RevocationPage = {
    logId: readLogId(map, what),
    fromSeq: uint(map, 'fromSeq', what),
    toSeq: uint(map, 'toSeq', what),
    issuedAt: uint(map, 'issuedAt', what),
    page: uint(map, 'page', what),
    pages: uint(map, 'pages', what),
    lo: toHex(lo),
    hi,
    added: Object.freeze(readAdded(map, DELTA_PAGE_ENTRIES, what)),
    removed: Object.freeze(readRemoved(map, DELTA_PAGE_ENTRIES, what)),
  };
  checkPage(p);
  return Object.freeze(p);
}

/**
 * Writes a page payload in slices, so that a server signs a page of 262,144 entries over several turns of its event
 * loop. The bytes are what the generic canonical encoder gives for the same map (test/protocol tests it), written
 * straight into one buffer, the keys in canonical order (shorter first, then bytewise); each entry is checked as it
 * is written, the way a gate's decoder checks it (form, ascending, within [lo, hi), not both added and removed).
 */
export class PagePayloadWriter {
  private readonly p: RevocationPage;
  private readonly out: Buffer;
  private o = 0;
  private a = 0;
  private r = 0;
  /** The next added entry a removed id is compared with (both ascend). */
  private j = 0;
  private last = '';
  private middle = false;
  private done = false;
  private readonly logId: Buffer;

  constructor(p: RevocationPage) {
    checkPageHead(p);
    const logId = logIdBytes(p.logId, 'page');
    this.p = p;
    this.out = Buffer.allocUnsafe(
      512 + p.added.length * (3 + ID_MAX_BYTES + 9) + p.removed.length * (2 + ID_MAX_BYTES),
    );
    this.out[this.o++] = 0xa0 | KEYS.length;
    this.key('hi');
    if (p.hi === null) this.out[this.o++] = 0xf6;
    else this.hex(p.hi);
    this.key('lo');
    this.hex(p.lo);
    this.key('page');
    this.whole(p.page);
    this.key('added');
    this.o = writeHead(this.out, this.o, 4, p.added.length);
    this.logId = logId;
  }

  private key(k: string): void {
    this.o = writeHead(this.out, this.o, 3, k.length);
    this.o += this.out.write(k, this.o, 'latin1');
  }

  private hex(h: string): void {
    this.o = writeHead(this.out, this.o, 2, h.length / 2);
    this.o += this.out.write(h, this.o, 'hex');
  }

  private whole(n: number): void {
    this.o = writeHead(this.out, this.o, 0, n);
  }

  private id(id: string, what: string): void {
    if (!HEX_ID.test(id)) bad('revocation id: 16-32 bytes as lower-case hex');
    if (id <= this.last || id < this.p.lo || (this.p.hi !== null && id >= this.p.hi))
      bad(`page.${what}: ids not ascending within the page's bounds`);
    this.last = id;
  }

  /** Write up to `n` more entries; true when the payload is complete. */
  write(n: number): boolean {
    if (this.done) return true;
    const { p, out } = this;
    let budget = n;
    for (; this.a < p.added.length && budget > 0; this.a++, budget--) {
      const e = p.added[this.a] as RevokedEntry;
      this.id(e.revocationId, 'added');
      if (!isWhole(e.expiresAt)) bad('added[].expiresAt: not a whole non-negative number');
      out[this.o++] = 0x82;
      this.hex(e.revocationId);
      this.whole(e.expiresAt);
    }
    if (this.a < p.added.length) return false;
    if (!this.middle && budget > 0) {
      this.middle = true;
      this.key('logId');
      this.o = writeHead(out, this.o, 2, this.logId.length);
      this.o += this.logId.copy(out, this.o);
      this.key('pages');
      this.whole(p.pages);
      this.key('toSeq');
      this.whole(p.toSeq);
      this.key('fromSeq');
      this.whole(p.fromSeq);
      this.key('removed');
      this.o = writeHead(out, this.o, 4, p.removed.length);
      this.last = '';
    }
    for (; this.r < p.removed.length && budget > 0; this.r++, budget--) {
      const id = p.removed[this.r] as string;
      this.id(id, 'removed');
      while (this.j < p.added.length && (p.added[this.j] as RevokedEntry).revocationId < id) this.j++;
      if (p.added[this.j]?.revocationId === id) bad('page: an id both added and removed');
      this.hex(id);
    }
    if (!this.middle || this.r < p.removed.length) return false;
    this.key('issuedAt');
    this.whole(p.issuedAt);
    if (this.o > MAX_PAGE_BYTES) bad('page: above the size limit');
    this.done = true;
    return true;
  }

  /** The payload; only after write() returned true. */
  payload(): Uint8Array {
    if (!this.done) throw new Error('page payload not complete');
    return new Uint8Array(this.out.buffer, this.out.byteOffset, this.o);
  }

  /** The signed page (COSE_Sign1, root key or a bundle revocation key); only after write() returned true. */
  sign(key: SigningKey): Uint8Array {
    return signDocument(CTY_REVOCATION_PAGE, this.payload(), key);
  }
}

/** The whole page payload at once (what signRevocationPage signs). */
export function encodePagePayload(p: RevocationPage): Uint8Array {
  const w = new PagePayloadWriter(p);
  w.write(Number.POSITIVE_INFINITY);
  return w.payload();
}

/** Sign one page (root key or a bundle revocation key); refused (BAD_CLAIMS) when a device would refuse it. */
export function signRevocationPage(p: RevocationPage, key: SigningKey): Uint8Array {
  return signDocument(CTY_REVOCATION_PAGE, encodePagePayload(p), key);
}

/**
 * Cut a change (added and removed, each ascending by id and disjoint) into the pages of one set, at most
 * `perPage` entries each, in id order; page i+1 starts at the first id it holds. Nothing is signed here.
 */
export function cutIntoPages(
  head: PageSetHead,
  added: readonly RevokedEntry[],
  removed: readonly string[],
  perPage: number = DELTA_PAGE_ENTRIES,
): RevocationPage[] {
  if (!Number.isSafeInteger(perPage) || perPage < 1 || perPage > DELTA_PAGE_ENTRIES)
    throw new RangeError(`perPage: 1 to ${DELTA_PAGE_ENTRIES}`);
  const parts: { lo: string; added: readonly RevokedEntry[]; removed: readonly string[] }[] = [];
  if (removed.length === 0) {
    // Only additions (what the server's log holds): slices.
    for (let at = 0; at < added.length; at += perPage) {
      const slice = added.slice(at, at + perPage);
      parts.push({ lo: at === 0 ? '' : (slice[0] as RevokedEntry).revocationId, added: slice, removed: [] });
    }
  }
  let a = 0;
  let r = 0;
  while (removed.length > 0 && (a < added.length || r < removed.length)) {
    const part = { lo: '', added: [] as RevokedEntry[], removed: [] as string[] };
    for (let n = 0; n < perPage && (a < added.length || r < removed.length); n++) {
      const next = a < added.length ? (added[a] as RevokedEntry) : null;
      const id = next !== null && (r >= removed.length || next.revocationId < (removed[r] as string)) ? next : null;
      if (id !== null) {
        part.added.push(id);
        a++;
      } else part.removed.push(removed[r++] as string);
      if (n === 0 && parts.length > 0) part.lo = id !== null ? id.revocationId : (part.removed[0] as string);
    }
    parts.push(part);
  }
  if (parts.length < 2) throw new RangeError('the change fits one page: send it as one delta');
  return parts.map((part, i) => ({
    ...head,
    page: i,
    pages: parts.length,
    lo: part.lo,
    hi: i + 1 < parts.length ? (parts[i + 1] as { lo: string }).lo : null,
    added: part.added,
    removed: part.removed,
  }));
}

export interface VerifyRevocationPageOptions extends Signed {
  /** The history of the list held (null: none; a page then never applies). */
  readonly logId: string | null;
  /** The sequence the list held is at. */
  readonly currentSeq: number;
}

/**
 * size → COSE shape → content type (a page, not a whole delta) → alg → kid → signature → payload → history and
 * sequence: HISTORY_CHANGED for a page of another history (only a snapshot or a manifest can move a gate there),
 * VERSION_ROLLBACK when toSeq ≤ the sequence held, SEQUENCE_GAP when the set does not start at it. Whether the page
 * belongs to the set being fetched is checkPageSet's question.
 */
export function verifyRevocationPage(bytes: Uint8Array, opts: VerifyRevocationPageOptions): RevocationPage {
  const p = decodePage(checkSignature(bytes, CTY_REVOCATION_PAGE, MAX_PAGE_BYTES, opts, 'page'));
  if (p.logId !== opts.logId) throw new ProtocolError('HISTORY_CHANGED', 'page of another server history');
  if (p.toSeq <= opts.currentSeq) throw new ProtocolError('VERSION_ROLLBACK', 'page not newer than the list held');
  if (p.fromSeq !== opts.currentSeq)
    throw new ProtocolError('SEQUENCE_GAP', 'page set does not start at the sequence held');
  return p;
}

/**
 * PAGE_MISMATCH unless `page` is of the set `first` is of (same history, sequences, issue time and page count), and,
 * when `previous` is given (the page before `page`), unless `page` starts where `previous` ends.
 */
export function checkPageSet(first: RevocationPage, page: RevocationPage, previous?: RevocationPage): void {
  const same = (q: RevocationPage): boolean =>
    q.logId === first.logId &&
    q.fromSeq === first.fromSeq &&
    q.toSeq === first.toSeq &&
    q.issuedAt === first.issuedAt &&
    q.pages === first.pages;
  if (!same(page)) throw new ProtocolError('PAGE_MISMATCH', 'page of another set');
  if (previous === undefined) return;
  if (!same(previous)) throw new ProtocolError('PAGE_MISMATCH', 'page of another set');
  if (previous.page + 1 !== page.page || previous.hi !== page.lo)
    throw new ProtocolError('PAGE_MISMATCH', 'pages do not tile the id space');
}
