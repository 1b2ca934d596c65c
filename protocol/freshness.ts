// Freshness statements: the server's signed word that, at `issuedAt`, its current trust data was bundle version
// `bundleVersion` and revocation sequence `revocationSeq`. A device that holds exactly that data may count its
// data age from `issuedAt`; nothing unsigned (a 304, a heartbeat answer) can make its data fresh.
// Wire: COSE_Sign1, content type application/gatecode-freshness+cbor, payload a canonical CBOR map:
//   { issuedAt: uint, logId: bstr(16), bundleVersion: uint ≥ 1, revocationSeq: uint }
// `logId` names the server history `revocationSeq` belongs to: a statement about another history says nothing
// about the data a device holds (see log-id.ts).
// Signed by the root key or a revocation key named in the bundle (the keys that sign revocation lists).
import { ProtocolError } from './errors.js';
import type { FreshnessStatement, TrustBundle } from './types.js';
import { cborDecodeStrict, cborEncode } from './internal/cbor.js';
import { bad, CTY_FRESHNESS, expectMap, openDocument, signDocument, uint } from './internal/document.js';
import { revocationCandidates } from './internal/keyring.js';
import { logIdBytes, readLogId } from './log-id.js';
import type { SigningKey } from './keys.js';
import { kidFor, publicKeyObject } from './keys.js';

/** A statement is about 130 bytes; anything much larger is not one. */
export const MAX_FRESHNESS_BYTES = 1024;

function decodePayload(payload: Uint8Array): FreshnessStatement {
  const what = 'freshness';
  const map = expectMap(
    cborDecodeStrict(payload, 'BAD_CLAIMS'),
    ['issuedAt', 'logId', 'bundleVersion', 'revocationSeq'],
    what,
  );
  const issuedAt = uint(map, 'issuedAt', what);
  const logId = readLogId(map, what);
  const bundleVersion = uint(map, 'bundleVersion', what);
  const revocationSeq = uint(map, 'revocationSeq', what);
  if (bundleVersion < 1) bad('freshness.bundleVersion: at least 1');
  return Object.freeze({ issuedAt, logId, bundleVersion, revocationSeq });
}

/** Sign a freshness statement (root key or a bundle revocation key); checked by the device's rules first. */
export function signFreshness(stmt: FreshnessStatement, key: SigningKey): Uint8Array {
  const payload = cborEncode(
    new Map<string, unknown>([
      ['issuedAt', stmt.issuedAt],
      ['logId', logIdBytes(stmt.logId, 'freshness')],
      ['bundleVersion', stmt.bundleVersion],
      ['revocationSeq', stmt.revocationSeq],
    ]),
  );
  decodePayload(payload);
  return signDocument(CTY_FRESHNESS, payload, key);
}

export interface VerifyFreshnessOptions {
  readonly rootPublicKey: Uint8Array;
  /** The bundle held: names the revocation keys, and its version is the least a statement may name. */
  readonly bundle: TrustBundle;
  /** The revocation sequence held; a statement naming an older one is VERSION_ROLLBACK (within one history). */
  readonly currentSeq?: number;
  /** The history `currentSeq` belongs to: a statement about another history is not compared with it. */
  readonly logId?: string | null;
}

/**
 * size → COSE shape → content type → alg → kid (root or a bundle revocation key) → signature → payload →
 * VERSION_ROLLBACK when the statement names an older bundle version than `bundle.version` or an older revocation
 * sequence than `currentSeq` in the same history (`logId`). A statement for newer data than held, or about another
 * history, verifies: the caller decides what it means (a device records a statement only when it names exactly
 * the data it holds, history included).
 */
export function verifyFreshness(bytes: Uint8Array, opts: VerifyFreshnessOptions): FreshnessStatement {
  const doc = openDocument(bytes, CTY_FRESHNESS, MAX_FRESHNESS_BYTES);
  const keys = revocationCandidates(opts.bundle, doc.kid).map((k) => k.keyObject);
  if (doc.kid === kidFor(opts.rootPublicKey)) keys.unshift(publicKeyObject(opts.rootPublicKey));
  if (keys.length === 0) throw new ProtocolError('UNKNOWN_KEY', 'freshness not signed by the root or a revocation key');
  if (!keys.some((k) => doc.verifiedBy(k)))
    throw new ProtocolError('BAD_SIGNATURE', 'freshness signature does not verify');
  const stmt = decodePayload(doc.payload);
  if (stmt.bundleVersion < opts.bundle.version)
    throw new ProtocolError('VERSION_ROLLBACK', 'freshness names an older bundle version than held');
  const sameHistory = opts.logId === undefined || opts.logId === stmt.logId;
  if (sameHistory && opts.currentSeq !== undefined && stmt.revocationSeq < opts.currentSeq)
    throw new ProtocolError('VERSION_ROLLBACK', 'freshness names an older revocation sequence than held');
  return stmt;
}
