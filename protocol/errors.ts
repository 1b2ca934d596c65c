// One closed union of reasons for every way a pass, a trust bundle or a revocation delta can fail.
// Tests assert on `code`, never on the message; messages never contain the input bytes.

export const PROTOCOL_REASONS = [
  'TOO_LARGE', // input longer than the size limit, checked before anything is decoded
  'BAD_PREFIX', // not `GC1:` (or another supported version prefix)
  'BAD_ENCODING', // not valid base45 (or base64 for files)
  'MALFORMED', // CBOR / COSE_Sign1 structure wrong, or a required field missing or of the wrong type
  'UNSUPPORTED_ALG', // protected header alg not in the allow-list (only EdDSA, -8)
  'UNKNOWN_KEY', // no key in the bundle with this kid
  'KEY_NOT_VALID', // the key exists but is revoked, retired, or outside its validity at the pass's issued-at
  'BAD_SIGNATURE', // no key with this kid verifies the signature
  'BAD_CLAIMS', // signature holds but the claims set is wrong: unknown claim, bad colour, id too short ...
  'NOT_YET_VALID', // now + skew < nbf
  'EXPIRED', // now - skew >= exp
  'WRONG_SCOPE', // this site is not in the pass's scope
  'REVOKED', // revocation id is in the revocation list
  'BUNDLE_STALE', // trust data older than the policy's maximum offline age
  'SUNSET', // the deployment's signed sunset has passed
  'VERSION_ROLLBACK', // bundle version or delta sequence not newer than what is held
  'SEQUENCE_GAP', // delta does not start at the sequence held
  'HISTORY_CHANGED', // revocation delta from another server history (restore, copy): only a snapshot can follow
  'PARTITION_STALE', // a revocation partition of another version than its manifest names (missed; fetch again)
  'PARTITION_MISMATCH', // a signed revocation partition that is not the document its manifest names (hash, count)
  'PAGE_MISMATCH', // a delta page not of the set being fetched (history, sequences, issue time, count) or not tiling
  // Holder-bound passes (protocol/holder/): the pass verified, the holder's rotating proof did not.
  'PROOF_MISSING', // the pass carries a holder key but was shown without a proof (a printout or copied pass text)
  'PROOF_WRONG_PASS', // the proof was made for another pass
  'PROOF_WRONG_KEY', // the proof's signature does not verify with the holder key in the pass
  'PROOF_STALE', // the proof's time step is older than the window allows (a screenshot)
  'PROOF_FUTURE', // the proof's time step is further ahead than the window allows
  'PROOF_REPLAYED', // this gate already accepted this pass with this time step or a later one
  'PROOF_UNEXPECTED', // a proof came with a pass that has no holder key
] as const;

export type ProtocolReason = (typeof PROTOCOL_REASONS)[number];

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolReason;

  constructor(code: ProtocolReason, message: string = code) {
    super(message);
    this.code = code;
  }
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}
