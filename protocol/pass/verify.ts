// Pass verification in one fixed order, reading no claim before the signature holds:
// size → prefix → base45 → COSE shape → alg → kid lookup → signature → claims → time → scope → revocation → policy
// → holder proof (a holder-bound pass only; protocol/holder/proof.ts).
import { verify as edVerify } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import type { PassClaims, VerifyContext } from '../types.js';
import { base45Decode } from '../internal/base45.js';
import { checkAlg, HEADER_ALG, HEADER_KID, parseSign1, sigStructure } from '../internal/cose.js';
import type { ParsedSign1 } from '../internal/cose.js';
import { isBytes } from '../internal/cbor.js';
import { issuerCandidates } from '../internal/keyring.js';
import type { IssuerCandidate } from '../internal/keyring.js';
import { KID_BYTES } from '../keys.js';
import type { IssuerKeyEntry } from '../types.js';
import { checkHolderProof, HOLDER_PREFIX, splitPresentation } from '../holder/proof.js';
import { decodeClaims } from './claims-decode.js';
import { PassScratch } from './envelope.js';
import type { VerifiedPass } from './cache.js';

/** Prefix of every pass: `GC` and the format version. */
export const PASS_PREFIX = 'GC1:';
/** The encoded pass, prefix included, is at most this many characters (so always under 400). */
export const MAX_PASS_CHARS = 399;
export const DEFAULT_SKEW_SECONDS = 300;

/** Checks one signature: message = Sig_structure bytes. Swappable so tests and benchmarks can cross-check. */
export type SignatureCheck = (message: Uint8Array, signature: Uint8Array, key: IssuerCandidate) => boolean;

export const nodeSignatureCheck: SignatureCheck = (message, signature, key) => {
  try {
    return edVerify(null, message, key.keyObject, signature);
  } catch {
    return false;
  }
};

/**
 * Scratch buffers of checkPass for the decoded envelope and the Sig_structure: both are used and done with before
 * checkPass returns (the claims it returns are copies: strings and numbers), so each check writes over the last
 * one's instead of allocating buffers per scan. Sized for the largest pass. `standard` serves every pass in the
 * layout issuePass writes (envelope.ts); the two buffers below serve the general path.
 */
const standard = new PassScratch(MAX_PASS_CHARS);
const envelopeScratch = new Uint8Array(MAX_PASS_CHARS);
const messageScratch = new Uint8Array(MAX_PASS_CHARS + 32);

/** The steps before the envelope: type, size, prefix. */
function checkPassText(text: string): void {
  if (typeof text !== 'string') throw new ProtocolError('MALFORMED', 'pass: not a string');
  if (text.length > MAX_PASS_CHARS)
    throw new ProtocolError('TOO_LARGE', `pass: longer than ${MAX_PASS_CHARS} characters`);
  if (!text.startsWith(PASS_PREFIX)) throw new ProtocolError('BAD_PREFIX', `pass: does not start with ${PASS_PREFIX}`);
}

/**
 * Steps up to the envelope: size, prefix, base45, COSE shape. Shared with inspectPass. With `scratch` the envelope
 * is decoded into it (the result is valid only until the next use of that buffer).
 */
export function openPass(text: string, scratch?: Uint8Array): ParsedSign1 {
  checkPassText(text);
  const cose = parseSign1(base45Decode(text, PASS_PREFIX.length, scratch));
  // A pass's protected header is exactly { alg, kid }: no content type, no crit, nothing else.
  for (const label of cose.header.keys()) {
    if (label !== HEADER_ALG && label !== HEADER_KID)
      throw new ProtocolError('MALFORMED', 'COSE: unexpected protected header parameter');
  }
  return cose;
}

export interface PassCheck {
  readonly claims: PassClaims;
  /** The trust data is older than the policy allows: the verdict degrades (see evaluatePass). */
  readonly stale: boolean;
  /** The holder proof's time step for a holder-bound pass, null for an unbound one. */
  readonly proofStep: number | null;
}

/** kid lookup → signature: every key with this kid is tried (a kid is a hint, not an identity), in bundle order. */
function signerOf(
  candidates: readonly IssuerCandidate[],
  message: Uint8Array,
  signature: Uint8Array,
  check: SignatureCheck,
): IssuerKeyEntry {
  if (candidates.length === 0) throw new ProtocolError('UNKNOWN_KEY', 'no issuer key with this kid');
  for (const candidate of candidates) {
    if (check(message, signature, candidate)) {
      // A revoked key is refused before its claims are read (checkPass checks the status again, also for a cached
      // pass).
      if (candidate.entry.status === 'revoked') throw new ProtocolError('KEY_NOT_VALID', 'issuer key is revoked');
      return candidate.entry;
    }
  }
  throw new ProtocolError('BAD_SIGNATURE', 'signature does not verify');
}

/**
 * The steps that depend on the pass's bytes and the bundle's keys only: envelope, alg, kid, signature, claims, and
 * the issuer named in the claims being the signing key's. What a VerifiedPassCache may remember. A pass in the
 * standard layout is read in place (envelope.ts: the same checks, no copies); any other goes the general way.
 */
function checkSignature(passText: string, ctx: VerifyContext, check: SignatureCheck): VerifiedPass {
  checkPassText(passText);
  const pass = standard;
  if (!pass.readStandardPass(passText, PASS_PREFIX.length)) return checkSignatureGeneral(passText, ctx, check);
  const candidates = issuerCandidates(ctx.bundle, pass.bytes, pass.kidAt);
  const key = signerOf(candidates, pass.message, pass.signature, check);
  const claims = decodeClaims(pass.bytes, pass.payloadStart, pass.payloadEnd);
  if (claims.issuer !== key.issuer) throw new ProtocolError('BAD_CLAIMS', 'issuer does not match the signing key');
  return { claims, key };
}

function checkSignatureGeneral(passText: string, ctx: VerifyContext, check: SignatureCheck): VerifiedPass {
  const cose = openPass(passText, envelopeScratch);
  checkAlg(cose.header);
  const kid = cose.header.get(HEADER_KID);
  if (!isBytes(kid) || kid.length !== KID_BYTES) throw new ProtocolError('MALFORMED', 'COSE: kid is not 8 bytes');
  const candidates = issuerCandidates(ctx.bundle, kid);
  const message = sigStructure(cose.protectedBytes, cose.payload, messageScratch);
  const key = signerOf(candidates, message, cose.signature, check);
  const claims = decodeClaims(cose.payload);
  if (claims.issuer !== key.issuer) throw new ProtocolError('BAD_CLAIMS', 'issuer does not match the signing key');
  return { claims, key };
}

/**
 * All steps; a stale bundle is reported, not thrown, so that evaluatePass can degrade instead of deny. With
 * `ctx.verifiedPasses`, a pass text whose signature was already checked under this bundle skips the signature
 * (and the decoding); every check of time, scope, revocation, sunset and the holder proof still runs.
 */
export function checkPass(text: string, ctx: VerifyContext, check: SignatureCheck = nodeSignatureCheck): PassCheck {
  // A bare pass (what most gates see) is its own pass text with no proof: no presentation made for it.
  const shown = typeof text === 'string' && text.startsWith(HOLDER_PREFIX) ? splitPresentation(text) : null;
  const passText = shown === null ? text : shown.pass;
  const cache = ctx.verifiedPasses;
  const remembered = cache?.get(passText, ctx.bundle, ctx.now) ?? null;
  const verified = remembered ?? checkSignature(passText, ctx, check);
  if (cache && remembered === null) cache.set(passText, ctx.bundle, ctx.now, verified);
  const { claims, key } = verified;
  if (key.status === 'revoked') throw new ProtocolError('KEY_NOT_VALID', 'issuer key is revoked');
  if (claims.issuedAt < key.validFrom || claims.issuedAt > key.validUntil) {
    throw new ProtocolError('KEY_NOT_VALID', 'pass issued outside the key validity');
  }

  const skew = ctx.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  if (ctx.now + skew < claims.notBefore) throw new ProtocolError('NOT_YET_VALID', 'pass not yet valid');
  if (ctx.now - skew >= claims.expiresAt) throw new ProtocolError('EXPIRED', 'pass expired');

  if (claims.scope !== 'all' && (ctx.site === undefined || !claims.scope.includes(ctx.site))) {
    throw new ProtocolError('WRONG_SCOPE', 'pass not valid at this site');
  }

  if (ctx.isRevoked?.(claims.revocationId)) throw new ProtocolError('REVOKED', 'pass revoked');

  if (ctx.now >= ctx.bundle.sunset) throw new ProtocolError('SUNSET', 'deployment sunset has passed');
  const stale = ctx.trustDataAt !== undefined && ctx.now - ctx.trustDataAt > ctx.bundle.policy.maxOfflineAgeSeconds;
  const proofStep = checkHolderProof(claims, shown === null ? null : shown.proof, ctx);
  return { claims, stale, proofStep };
}

/** Verify a pass; throws ProtocolError with the first failing reason, including BUNDLE_STALE. */
export function verifyPass(text: string, ctx: VerifyContext): PassClaims {
  const { claims, stale } = checkPass(text, ctx);
  if (stale) throw new ProtocolError('BUNDLE_STALE', 'trust data older than the policy allows');
  return claims;
}
