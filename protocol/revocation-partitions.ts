// Partitioned revocation lists, for lists too large for one snapshot (docs/sync.md "Partitioned sync").
// The list is cut by the leading hex digits of the revocation id (`prefixHex` digits: 16^prefixHex partitions);
// ids are hashes, so the partitions are of even size. Every partition has a version: the sequence of the last step
// of the history that changed it. Two signed documents (COSE_Sign1, root key or a bundle revocation key):
//   manifest   application/gatecode-revocation-manifest+cbor
//              { logId: bstr(16), seq, issuedAt, prefixHex, partitions: [[version, count, sha256(document)], …] }
//              (entry k describes partition k; version ≤ seq)
//   partition  application/gatecode-revocation-partition+cbor
//              { logId: bstr(16), index, prefixHex, version, issuedAt, entries: [[rid bstr, expiresAt], …] }
//              (the whole content of partition `index` at `version`, ids in ascending order, each with its prefix)
// A device whose list is at sequence D of the manifest's history fetches only the partitions whose version is
// above D (the others are identical to what it holds); on another history, every partition. Each partition is
// checked against the manifest it was fetched for: history, index, version (PARTITION_STALE when it is not the one
// named, VERSION_ROLLBACK when it is not newer than the list held) and the document hash.
import { createHash } from 'node:crypto';
import { ProtocolError } from './errors.js';
import type { RevokedEntry, TrustBundle } from './types.js';
import { cborDecodeStrict, cborEncode, isBytes, isUint, writeHead as head } from './internal/cbor.js';
import type { Cbor } from './internal/cbor.js';
import { bad, expectMap, list, openDocument, signDocument, uint } from './internal/document.js';
import { revocationCandidates } from './internal/keyring.js';
import { logIdBytes, readLogId } from './log-id.js';
import type { SigningKey } from './keys.js';
import { kidFor, publicKeyObject, toHex } from './keys.js';
import { ID_MAX_BYTES, ID_MIN_BYTES } from './pass/claims.js';

export const CTY_REVOCATION_MANIFEST = 'application/gatecode-revocation-manifest+cbor';
export const CTY_REVOCATION_PARTITION = 'application/gatecode-revocation-partition+cbor';
/** 4096 partitions at most (prefixHex 3). */
export const MAX_PREFIX_HEX = 3;
export const MAX_MANIFEST_BYTES = 256 * 1024;
/** 32 MiB: about 1.4 M ids in one partition (a 256-way list of 350 M ids). */
export const MAX_PARTITION_BYTES = 32 * 1024 * 1024;
export const MAX_PARTITION_ENTRIES = 1_400_000;

export interface ManifestEntry {
  readonly version: number;
  readonly count: number;
  /** SHA-256 of the partition's signed document, lower-case hex. */
  readonly hash: string;
}

export interface RevocationManifest {
  readonly logId: string;
  readonly seq: number;
  readonly issuedAt: number;
  readonly prefixHex: number;
  readonly partitions: readonly ManifestEntry[];
}

export interface RevocationPartition {
  readonly logId: string;
  readonly index: number;
  readonly prefixHex: number;
  readonly version: number;
  readonly issuedAt: number;
  readonly entries: readonly RevokedEntry[];
}

/** The partition an id (lower-case hex) falls in. */
export function partitionOf(revocationId: string, prefixHex: number): number {
  return parseInt(revocationId.slice(0, prefixHex), 16);
}

/** The id range of a partition as hex bounds: lo ≤ id < hi (hi null for the last partition). */
export function partitionRange(index: number, prefixHex: number): { lo: string; hi: string | null } {
  const hex = (n: number) => n.toString(16).padStart(prefixHex, '0');
  return { lo: hex(index), hi: index + 1 >= 16 ** prefixHex ? null : hex(index + 1) };
}

export function documentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function prefixHexOf(map: ReadonlyMap<Cbor, Cbor>, what: string): number {
  const p = uint(map, 'prefixHex', what);
  if (p < 1 || p > MAX_PREFIX_HEX) bad(`${what}.prefixHex: 1 to ${MAX_PREFIX_HEX}`);
  return p;
}

function decodeManifest(payload: Uint8Array): RevocationManifest {
  const what = 'manifest';
  const map = expectMap(
    cborDecodeStrict(payload, 'BAD_CLAIMS'),
    ['logId', 'seq', 'issuedAt', 'prefixHex', 'partitions'],
    what,
  );
  const logId = readLogId(map, what);
  const seq = uint(map, 'seq', what);
  const issuedAt = uint(map, 'issuedAt', what);
  const prefixHex = prefixHexOf(map, what);
  const raw = list(map, 'partitions', 16 ** MAX_PREFIX_HEX, what);
  if (raw.length !== 16 ** prefixHex) bad('manifest.partitions: one entry per partition');
  const partitions = raw.map((e) => {
    if (!Array.isArray(e) || e.length !== 3) bad('manifest.partitions[]: [version, count, hash]');
    const [version, count, hash] = e as Cbor[];
    if (!isUint(version) || version > seq) bad('manifest.partitions[].version: at most seq');
    if (!isUint(count)) bad('manifest.partitions[].count: not a whole number');
    if (!isBytes(hash) || hash.length !== 32) bad('manifest.partitions[].hash: 32 bytes');
    return Object.freeze({ version, count, hash: toHex(hash) });
  });
  return Object.freeze({ logId, seq, issuedAt, prefixHex, partitions: Object.freeze(partitions) });
}

function decodePartition(payload: Uint8Array): RevocationPartition {
  const what = 'partition';
  const map = expectMap(
    cborDecodeStrict(payload, 'BAD_CLAIMS'),
    ['logId', 'index', 'prefixHex', 'version', 'issuedAt', 'entries'],
    what,
  );
  const logId = readLogId(map, what);
  const prefixHex = prefixHexOf(map, what);
  const index = uint(map, 'index', what);
  if (index >= 16 ** prefixHex) bad('partition.index: beyond the partitions');
  const version = uint(map, 'version', what);
  const issuedAt = uint(map, 'issuedAt', what);
  let last = '';
  const entries = list(map, 'entries', MAX_PARTITION_ENTRIES, what).map((e) => {
    if (!Array.isArray(e) || e.length !== 2) bad('partition.entries[]: [id, expiresAt]');
    const [id, expiresAt] = e as Cbor[];
    if (!isBytes(id) || id.length < ID_MIN_BYTES || id.length > ID_MAX_BYTES) bad('revocation id: 16-32 bytes');
    if (!isUint(expiresAt)) bad('partition.entries[].expiresAt: not a whole non-negative number');
    const revocationId = toHex(id);
    if (revocationId <= last) bad('partition.entries: ids not in ascending order');
    if (partitionOf(revocationId, prefixHex) !== index) bad('partition.entries: an id of another partition');
    last = revocationId;
    return { revocationId, expiresAt };
  });
  return Object.freeze({ logId, index, prefixHex, version, issuedAt, entries });
}

export function signManifest(m: RevocationManifest, key: SigningKey): Uint8Array {
  const payload = cborEncode(
    new Map<string, unknown>([
      ['logId', logIdBytes(m.logId, 'manifest')],
      ['seq', m.seq],
      ['issuedAt', m.issuedAt],
      ['prefixHex', m.prefixHex],
      ['partitions', m.partitions.map((p) => [p.version, p.count, Buffer.from(p.hash, 'hex')])],
    ]),
  );
  decodeManifest(payload);
  return signDocument(CTY_REVOCATION_MANIFEST, payload, key);
}

const HEX_ID = /^(?:[0-9a-f]{2}){16,32}$/;

/**
 * The partition payload, byte for byte what `cborEncode` gives for the same map (test/protocol tests it), but with
 * the entries written straight into one buffer: at 10 M ids a partition holds about 39,000 of them, and the generic
 * encoder and the full re-decode took most of the server's time to build one. The entries are checked here the way
 * the device's decoder checks them (id form, ascending, in this partition, expiry a whole number).
 */
function encodePartitionPayload(p: RevocationPartition): Uint8Array {
  if (p.prefixHex < 1 || p.prefixHex > MAX_PREFIX_HEX) bad(`partition.prefixHex: 1 to ${MAX_PREFIX_HEX}`);
  if (!Number.isSafeInteger(p.index) || p.index < 0 || p.index >= 16 ** p.prefixHex)
    bad('partition.index: beyond the partitions');
  if (p.entries.length > MAX_PARTITION_ENTRIES) bad('partition.entries: too many');
  // The map with no entries, as the generic encoder writes it; the entries go in place of its empty array.
  const shell = cborEncode(
    new Map<string, unknown>([
      ['logId', logIdBytes(p.logId, 'partition')],
      ['index', p.index],
      ['prefixHex', p.prefixHex],
      ['version', p.version],
      ['issuedAt', p.issuedAt],
      ['entries', []],
    ]),
  );
  const key = Buffer.from([0x67, ...Buffer.from('entries'), 0x80]);
  const at = Buffer.from(shell).lastIndexOf(key);
  if (at < 0) throw new Error('partition encoding: no entries key');
  const split = at + key.length - 1;
  const out = Buffer.allocUnsafe(shell.length + 9 + p.entries.length * (2 + 2 + ID_MAX_BYTES + 9));
  out.set(shell.subarray(0, split), 0);
  let o = head(out, split, 4, p.entries.length);
  let last = '';
  for (const e of p.entries) {
    const id = e.revocationId;
    if (!HEX_ID.test(id)) bad('revocation id: 16-32 bytes as lower-case hex');
    if (id <= last) bad('partition.entries: ids not in ascending order');
    if (partitionOf(id, p.prefixHex) !== p.index) bad('partition.entries: an id of another partition');
    if (!Number.isSafeInteger(e.expiresAt) || e.expiresAt < 0)
      bad('partition.entries[].expiresAt: not a whole non-negative number');
    last = id;
    out[o++] = 0x82;
    o = head(out, o, 2, id.length / 2);
    o += out.write(id, o, 'hex');
    o = head(out, o, 0, e.expiresAt);
  }
  out.set(shell.subarray(split + 1), o);
  o += shell.length - split - 1;
  if (o > MAX_PARTITION_BYTES) bad('partition: above the size limit');
  return new Uint8Array(out.buffer, out.byteOffset, o);
}

/** Sign a partition; `entries` must be in ascending id order and all of partition `index`. */
export function signPartition(p: RevocationPartition, key: SigningKey): Uint8Array {
  return signDocument(CTY_REVOCATION_PARTITION, encodePartitionPayload(p), key);
}

/** For tests: the partition payload as the generic CBOR encoder writes it. */
export function encodePartitionPayloadGeneric(p: RevocationPartition): Uint8Array {
  return cborEncode(
    new Map<string, unknown>([
      ['logId', logIdBytes(p.logId, 'partition')],
      ['index', p.index],
      ['prefixHex', p.prefixHex],
      ['version', p.version],
      ['issuedAt', p.issuedAt],
      ['entries', p.entries.map((e) => [Buffer.from(e.revocationId, 'hex'), e.expiresAt])],
    ]),
  );
}

/** For tests: the fast partition payload (what signPartition signs). */
export { encodePartitionPayload };

/** The keys a revocation document may be signed by: the root, or a revocation key named in the held bundle. */
export interface Signed {
  readonly rootPublicKey: Uint8Array;
  readonly bundle: TrustBundle;
}

/** size → COSE → content type → alg → kid (root or bundle revocation key) → signature; returns the payload. */
export function checkSignature(bytes: Uint8Array, cty: string, max: number, opts: Signed, what: string): Uint8Array {
  const doc = openDocument(bytes, cty, max);
  const keys = revocationCandidates(opts.bundle, doc.kid).map((k) => k.keyObject);
  if (doc.kid === kidFor(opts.rootPublicKey)) keys.unshift(publicKeyObject(opts.rootPublicKey));
  if (keys.length === 0) throw new ProtocolError('UNKNOWN_KEY', `${what} not signed by the root or a revocation key`);
  if (!keys.some((k) => doc.verifiedBy(k)))
    throw new ProtocolError('BAD_SIGNATURE', `${what} signature does not verify`);
  return doc.payload;
}

export interface VerifyManifestOptions extends Signed {
  /** The sequence and history of the list held (seq 0 / null: none). */
  readonly currentSeq: number;
  readonly logId: string | null;
  /** Signed issue time of the list held: a manifest of another history must not be older (a replay). */
  readonly currentIssuedAt?: number | null;
}

/**
 * size → COSE → content type → alg → kid → signature → payload; within the held history VERSION_ROLLBACK when
 * seq ≤ the sequence held; from another history VERSION_ROLLBACK when issued before the list held.
 */
export function verifyManifest(bytes: Uint8Array, opts: VerifyManifestOptions): RevocationManifest {
  const payload = checkSignature(bytes, CTY_REVOCATION_MANIFEST, MAX_MANIFEST_BYTES, opts, 'manifest');
  const m = decodeManifest(payload);
  if (opts.logId === m.logId && m.seq <= opts.currentSeq)
    throw new ProtocolError('VERSION_ROLLBACK', 'manifest not newer than the list held');
  if (opts.logId !== m.logId && opts.currentIssuedAt != null && m.issuedAt < opts.currentIssuedAt)
    throw new ProtocolError('VERSION_ROLLBACK', 'manifest of another history, older than the list held');
  return m;
}

export interface VerifyPartitionOptions extends Signed {
  readonly manifest: RevocationManifest;
  /** The partition asked for. */
  readonly index: number;
  /** The sequence the list held is at, in the manifest's history (0 when another history or none). */
  readonly heldSeq: number;
}

/**
 * Signature, then against the manifest: same history (HISTORY_CHANGED), the index asked for (MALFORMED), a
 * version not newer than the list held (VERSION_ROLLBACK: a rolled-back partition), a version other than the
 * manifest names (PARTITION_STALE: a cache or mirror served another one; fetch again), the document hash
 * (PARTITION_MISMATCH).
 */
export function verifyPartition(bytes: Uint8Array, opts: VerifyPartitionOptions): RevocationPartition {
  const payload = checkSignature(bytes, CTY_REVOCATION_PARTITION, MAX_PARTITION_BYTES, opts, 'partition');
  const p = decodePartition(payload);
  const m = opts.manifest;
  if (p.logId !== m.logId) throw new ProtocolError('HISTORY_CHANGED', 'partition of another server history');
  if (p.index !== opts.index || p.prefixHex !== m.prefixHex)
    throw new ProtocolError('MALFORMED', 'partition is not the one asked for');
  const named = m.partitions[p.index] as ManifestEntry;
  if (p.version <= opts.heldSeq && named.version > opts.heldSeq)
    throw new ProtocolError('VERSION_ROLLBACK', 'partition not newer than the list held');
  if (p.version !== named.version)
    throw new ProtocolError('PARTITION_STALE', 'partition version is not the one the manifest names');
  if (documentHash(bytes) !== named.hash || p.entries.length !== named.count)
    throw new ProtocolError('PARTITION_MISMATCH', 'partition is not the document the manifest names');
  return p;
}
