// Revocation lists: signed by the root key or a revocation key named in the bundle. A delta moves a device from
// sequence fromSeq to toSeq; a snapshot (fromSeq 0, nothing removed) replaces the whole list at toSeq.
// Wire: COSE_Sign1, content type application/gatecode-revocations+cbor, payload a canonical CBOR map:
//   { kind: "delta"|"snapshot", logId: bstr(16), fromSeq, toSeq, issuedAt, added: [[rid bstr, expiresAt], …],
//     removed: [rid bstr, …] }
// Sequence numbers are compared only within one history (logId): a list from another history is taken only as a
// snapshot, never as a delta, and its sequence is not compared with the one held (see log-id.ts).
import { ProtocolError } from './errors.js';
import type { RevocationDelta, TrustBundle } from './types.js';
import { cborDecodeStrict, cborEncode } from './internal/cbor.js';
import { bad, CTY_REVOCATIONS, expectMap, openDocument, signDocument, uint } from './internal/document.js';
import { checkDistinct, checkOutgoing, readAdded, readRemoved } from './internal/revocation-entries.js';
import { revocationCandidates } from './internal/keyring.js';
import { logIdBytes, readLogId } from './log-id.js';
import type { SigningKey } from './keys.js';
import { kidFor, publicKeyObject } from './keys.js';

/** 16 MiB: about 650,000 revocation ids in one snapshot. */
export const MAX_REVOCATIONS_BYTES = 16 * 1024 * 1024;
export const MAX_REVOCATION_ENTRIES = 650_000;

function decodePayload(payload: Uint8Array): RevocationDelta {
  const what = 'revocations';
  const map = expectMap(
    cborDecodeStrict(payload, 'BAD_CLAIMS'),
    ['kind', 'logId', 'fromSeq', 'toSeq', 'issuedAt', 'added', 'removed'],
    what,
  );
  const kind = map.get('kind');
  if (kind !== 'delta' && kind !== 'snapshot') bad('revocations.kind: delta or snapshot');
  const logId = readLogId(map, what);
  const fromSeq = uint(map, 'fromSeq', what);
  const toSeq = uint(map, 'toSeq', what);
  const issuedAt = uint(map, 'issuedAt', what);
  if (toSeq <= fromSeq) bad('revocations: toSeq must be above fromSeq');
  const added = readAdded(map, MAX_REVOCATION_ENTRIES, what);
  const removed = readRemoved(map, MAX_REVOCATION_ENTRIES, what);
  checkDistinct(added, removed, what);
  if (kind === 'snapshot' && (fromSeq !== 0 || removed.length > 0))
    bad('revocations: a snapshot has fromSeq 0 and removes nothing');
  return Object.freeze({
    kind,
    logId,
    fromSeq,
    toSeq,
    issuedAt,
    added: Object.freeze(added),
    removed: Object.freeze(removed),
  });
}

function encodePayload(d: RevocationDelta): Uint8Array {
  checkOutgoing(d.added, d.removed);
  return cborEncode(
    new Map<string, unknown>([
      ['kind', d.kind],
      ['logId', logIdBytes(d.logId, 'revocations')],
      ['fromSeq', d.fromSeq],
      ['toSeq', d.toSeq],
      ['issuedAt', d.issuedAt],
      ['added', d.added.map((a) => [Buffer.from(a.revocationId, 'hex'), a.expiresAt])],
      ['removed', d.removed.map((r) => Buffer.from(r, 'hex'))],
    ]),
  );
}

/** Sign a revocation delta or snapshot (root key or a bundle revocation key); checked by the device's rules. */
export function signRevocations(delta: RevocationDelta, key: SigningKey): Uint8Array {
  const payload = encodePayload(delta);
  decodePayload(payload);
  return signDocument(CTY_REVOCATIONS, payload, key);
}

export interface VerifyRevocationsOptions {
  readonly rootPublicKey: Uint8Array;
  readonly bundle: TrustBundle;
  /** The sequence the device holds; without it no sequence checks are made. */
  readonly currentSeq?: number;
  /**
   * The history `currentSeq` belongs to; null when the device holds none (nothing yet, or data from before log
   * ids). A list from another history is accepted only as a snapshot, with no sequence comparison.
   */
  readonly logId?: string | null;
  /** Signed issue time of the list held: a snapshot from another history must not be older (else a replay). */
  readonly currentIssuedAt?: number | null;
}

/**
 * size → COSE shape → content type → alg → kid (root or a bundle revocation key; every key with that kid is
 * tried) → signature → payload → history and sequence. Within the held history: VERSION_ROLLBACK when
 * toSeq <= currentSeq, SEQUENCE_GAP when a delta does not start at currentSeq. From another history (its logId is
 * not `logId`, when `logId` is given): HISTORY_CHANGED for a delta (only a snapshot can start a device on a new
 * history), VERSION_ROLLBACK for a snapshot issued before `currentIssuedAt`.
 */
export function verifyRevocations(bytes: Uint8Array, opts: VerifyRevocationsOptions): RevocationDelta {
  const doc = openDocument(bytes, CTY_REVOCATIONS, MAX_REVOCATIONS_BYTES);
  const keys = revocationCandidates(opts.bundle, doc.kid).map((k) => k.keyObject);
  if (doc.kid === kidFor(opts.rootPublicKey)) keys.unshift(publicKeyObject(opts.rootPublicKey));
  if (keys.length === 0)
    throw new ProtocolError('UNKNOWN_KEY', 'revocations not signed by the root or a revocation key');
  if (!keys.some((k) => doc.verifiedBy(k)))
    throw new ProtocolError('BAD_SIGNATURE', 'revocations signature does not verify');
  const delta = decodePayload(doc.payload);
  const held = opts.currentSeq;
  if (opts.logId !== undefined && delta.logId !== opts.logId) {
    if (delta.kind === 'delta')
      throw new ProtocolError('HISTORY_CHANGED', 'delta from another server history: a snapshot is needed');
    if (opts.currentIssuedAt != null && delta.issuedAt < opts.currentIssuedAt)
      throw new ProtocolError('VERSION_ROLLBACK', 'snapshot from another history, older than the list held');
    return delta;
  }
  if (held !== undefined) {
    if (delta.toSeq <= held)
      throw new ProtocolError('VERSION_ROLLBACK', 'revocations not newer than the sequence held');
    if (delta.kind === 'delta' && delta.fromSeq !== held)
      throw new ProtocolError('SEQUENCE_GAP', 'delta does not start at the sequence held');
  }
  return delta;
}

/** For tools only: the list's content and signer kid, structure checked, signature NOT checked. */
export function readRevocationsUnverified(bytes: Uint8Array): { delta: RevocationDelta; signerKid: string } {
  const doc = openDocument(bytes, CTY_REVOCATIONS, MAX_REVOCATIONS_BYTES);
  return { delta: decodePayload(doc.payload), signerKid: doc.kid };
}
