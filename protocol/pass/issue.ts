// Issuing a pass: claims → canonical CBOR → COSE_Sign1 (EdDSA, kid in the protected header) → base45 → `GC1:`.
import { randomBytes, sign as edSign } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import type { Colour, PassClaims, Scope } from '../types.js';
import { base45Encode } from '../internal/base45.js';
import { ALG_EDDSA, buildSign1, HEADER_ALG, HEADER_KID } from '../internal/cose.js';
import type { SigningKey } from '../keys.js';
import { kidBytesFor } from '../keys.js';
import { encodeClaims } from './claims.js';
import { MAX_PASS_CHARS, PASS_PREFIX } from './verify.js';
import { MAX_BOUND_PASS_CHARS } from '../holder/proof.js';

export interface IssueInput {
  /** Defaults to the key's issuer; if given it must be the key's issuer. */
  readonly issuer?: string;
  readonly colour: Colour;
  readonly notBefore: number;
  readonly expiresAt: number;
  readonly scope: Scope;
  readonly issuedAt: number;
  /** Hex, 16–32 bytes; a fresh random 128-bit id when absent. */
  readonly passId?: string;
  /** Hex, 16–32 bytes; a fresh random 128-bit id, independent of the pass id, when absent. */
  readonly revocationId?: string;
  /** Holder-bound pass: the holder's raw Ed25519 public key, base64url. Absent for a printed (unbound) pass. */
  readonly holderKey?: string;
}

export function issuePass(input: IssueInput, key: SigningKey): { text: string; claims: PassClaims } {
  const issuer = input.issuer ?? key.issuer;
  if (issuer !== key.issuer) throw new ProtocolError('BAD_CLAIMS', 'issuer differs from the signing key issuer');
  const claims: PassClaims = Object.freeze({
    issuer,
    passId: input.passId ?? randomBytes(16).toString('hex'),
    revocationId: input.revocationId ?? randomBytes(16).toString('hex'),
    colour: input.colour,
    issuedAt: input.issuedAt,
    notBefore: input.notBefore,
    expiresAt: input.expiresAt,
    scope: input.scope === 'all' ? 'all' : Object.freeze([...input.scope]),
    ...(input.holderKey === undefined ? {} : { holderKey: input.holderKey }),
  });
  const payload = encodeClaims(claims);
  const header = new Map<number, number | Uint8Array>([
    [HEADER_ALG, ALG_EDDSA],
    [HEADER_KID, kidBytesFor(key.publicKey)],
  ]);
  const cose = buildSign1(header, payload, (tbs) => new Uint8Array(edSign(null, tbs, key.privateKey)));
  const text = PASS_PREFIX + base45Encode(cose);
  // A holder-bound pass leaves room for the proof in front of it (QR version 13 at ECC M, see holder/proof.ts).
  const max = claims.holderKey === undefined ? MAX_PASS_CHARS : MAX_BOUND_PASS_CHARS;
  if (text.length > max) {
    throw new ProtocolError('TOO_LARGE', `pass would be ${text.length} characters, over ${max}: shorten the scope`);
  }
  return { text, claims };
}
