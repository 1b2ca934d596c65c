// Holder proofs: what a wallet shows for a holder-bound pass, and how a gate checks it. The shown text is
//   GH1: <108 base45 characters of proof> <the pass text, GC1:…, unchanged>
// The proof is 72 bytes: the first 4 bytes of the pass id (a tag, so a proof made for another pass is named as
// such), the time step (unsigned 32-bit big-endian: floor(epoch seconds / 5)) and an Ed25519 signature by the
// holder key over  "gatecode-holder-proof/1" 0x00 ‖ pass id bytes ‖ step (4 bytes). The proof has a fixed length,
// so the pass after it needs no separator; every character of the whole text is in the QR alphanumeric set.
// The gate verifies the pass first, exactly as an unbound one, and only then the proof (checkHolderProof).
import { verify as edVerify, sign as edSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import type { PassClaims } from '../types.js';
import { base45Decode, base45Encode } from '../internal/base45.js';
import { fromBase64Url, publicKeyObject } from '../keys.js';

export const HOLDER_PREFIX = 'GH1:';
/** Seconds per time step: the wallet's code changes this often. */
export const PROOF_STEP_SECONDS = 5;
/** How far a proof's step may be from the gate's clock, both ways, unless configured otherwise. */
export const DEFAULT_PROOF_WINDOW_SECONDS = 30;
export const PROOF_TAG_BYTES = 4;
export const PROOF_BYTES = PROOF_TAG_BYTES + 4 + 64;
/** base45 of 72 bytes: 36 pairs of 3 characters. */
export const PROOF_CHARS = 108;
/** A shown holder pass is at most this long: the alphanumeric capacity of a version 13 QR code at ECC level M. */
export const MAX_PRESENTED_CHARS = 483;
/** So a holder-bound pass is at most this long (issuePass refuses a longer one): 483 - 4 - 108. */
export const MAX_BOUND_PASS_CHARS = MAX_PRESENTED_CHARS - HOLDER_PREFIX.length - PROOF_CHARS;
const DOMAIN = new TextEncoder().encode('gatecode-holder-proof/1\u0000');

export interface HolderProof {
  readonly passTag: Uint8Array;
  readonly step: number;
  readonly signature: Uint8Array;
}

export interface Presentation {
  /** The pass text (GC1:…). */
  readonly pass: string;
  /** The proof, or null when a bare pass was shown. */
  readonly proof: HolderProof | null;
}

export function proofStep(nowSeconds: number): number {
  return Math.floor(nowSeconds / PROOF_STEP_SECONDS);
}

/** The bytes the holder key signs. */
export function proofMessage(passIdHex: string, step: number): Uint8Array {
  const id = Buffer.from(passIdHex, 'hex');
  const out = new Uint8Array(DOMAIN.length + id.length + 4);
  out.set(DOMAIN, 0);
  out.set(id, DOMAIN.length);
  new DataView(out.buffer).setUint32(DOMAIN.length + id.length, step >>> 0);
  return out;
}

/** The proof's 72 bytes for a pass id, a step and the holder's signature over proofMessage. */
export function proofBytes(passIdHex: string, step: number, signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) throw new ProtocolError('MALFORMED', 'proof: signature must be 64 bytes');
  if (!Number.isInteger(step) || step < 0 || step > 0xffffffff) throw new ProtocolError('MALFORMED', 'proof: step');
  const out = new Uint8Array(PROOF_BYTES);
  out.set(Buffer.from(passIdHex, 'hex').subarray(0, PROOF_TAG_BYTES), 0);
  new DataView(out.buffer).setUint32(PROOF_TAG_BYTES, step);
  out.set(signature, PROOF_TAG_BYTES + 4);
  return out;
}

/** The text a wallet shows: prefix, proof, pass. */
export function presentationText(passText: string, passIdHex: string, step: number, signature: Uint8Array): string {
  return HOLDER_PREFIX + base45Encode(proofBytes(passIdHex, step, signature)) + passText;
}

/** Split a scanned text into the pass and its proof. A text without the holder prefix is a bare pass. */
export function splitPresentation(text: string): Presentation {
  // Not a string: openPass then refuses it as MALFORMED, like any other input that is not a pass.
  if (typeof text !== 'string' || !text.startsWith(HOLDER_PREFIX)) return { pass: text, proof: null };
  if (text.length > MAX_PRESENTED_CHARS)
    throw new ProtocolError('TOO_LARGE', `holder pass: longer than ${MAX_PRESENTED_CHARS} characters`);
  const end = HOLDER_PREFIX.length + PROOF_CHARS;
  if (text.length <= end) throw new ProtocolError('MALFORMED', 'holder proof: shorter than a proof and a pass');
  const bytes = base45Decode(text.slice(HOLDER_PREFIX.length, end));
  if (bytes.length !== PROOF_BYTES) throw new ProtocolError('MALFORMED', 'holder proof: wrong length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    pass: text.slice(end),
    proof: {
      passTag: bytes.subarray(0, PROOF_TAG_BYTES),
      step: view.getUint32(PROOF_TAG_BYTES),
      signature: bytes.subarray(PROOF_TAG_BYTES + 4),
    },
  };
}

// Holder keys seen recently, as KeyObjects: a holder shows the same pass again and again.
const keyObjects = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 256;

function holderKeyObject(holderKey: string): KeyObject {
  let key = keyObjects.get(holderKey);
  if (key === undefined) {
    const raw = fromBase64Url(holderKey);
    if (raw === null) throw new ProtocolError('BAD_CLAIMS', 'holderKey: not base64url');
    key = publicKeyObject(raw);
    if (keyObjects.size >= MAX_CACHED_KEYS) keyObjects.clear();
    keyObjects.set(holderKey, key);
  }
  return key;
}

function holderSignatureHolds(message: Uint8Array, signature: Uint8Array, holderKey: string): boolean {
  try {
    return edVerify(null, message, holderKeyObject(holderKey), signature);
  } catch {
    return false;
  }
}

export interface ProofContext {
  readonly now: number;
  readonly proofWindowSeconds?: number;
  readonly proofReplayed?: (passId: string, step: number) => boolean;
}

/**
 * Check the holder side of a verified pass, in this order: an unbound pass must come bare (PROOF_UNEXPECTED), a
 * bound one with a proof (PROOF_MISSING); the tag names this pass (PROOF_WRONG_PASS); the signature holds with the
 * pass's holder key (PROOF_WRONG_KEY); the step is within the window of now (PROOF_STALE, PROOF_FUTURE); this gate
 * has not accepted this step or a later one for this pass (PROOF_REPLAYED). Returns the step, or null if unbound.
 */
export function checkHolderProof(claims: PassClaims, proof: HolderProof | null, ctx: ProofContext): number | null {
  if (claims.holderKey === undefined) {
    if (proof !== null) throw new ProtocolError('PROOF_UNEXPECTED', 'a proof came with a pass that has no holder key');
    return null;
  }
  if (proof === null) throw new ProtocolError('PROOF_MISSING', 'holder-bound pass shown without a proof');
  const tag = Buffer.from(claims.passId.slice(0, PROOF_TAG_BYTES * 2), 'hex');
  if (!tag.equals(proof.passTag)) throw new ProtocolError('PROOF_WRONG_PASS', 'proof made for another pass');
  const message = proofMessage(claims.passId, proof.step);
  if (!holderSignatureHolds(message, proof.signature, claims.holderKey))
    throw new ProtocolError('PROOF_WRONG_KEY', 'proof not signed by the holder key in the pass');
  const window = Math.floor((ctx.proofWindowSeconds ?? DEFAULT_PROOF_WINDOW_SECONDS) / PROOF_STEP_SECONDS);
  const current = proofStep(ctx.now);
  if (proof.step < current - window) throw new ProtocolError('PROOF_STALE', 'proof older than the window');
  if (proof.step > current + window) throw new ProtocolError('PROOF_FUTURE', 'proof ahead of the window');
  if (ctx.proofReplayed?.(claims.passId, proof.step))
    throw new ProtocolError('PROOF_REPLAYED', 'this step was already used at this gate');
  return proof.step;
}

/** Node's side of a wallet (demo, tests, benchmark): the shown text for a pass at a moment, signed with a key. */
export function presentHolderPass(passText: string, passIdHex: string, nowSeconds: number, key: KeyObject): string {
  const step = proofStep(nowSeconds);
  const signature = new Uint8Array(edSign(null, proofMessage(passIdHex, step), key));
  return presentationText(passText, passIdHex, step, signature);
}
