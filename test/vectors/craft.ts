// Low-level builders for test vectors: passes and signed documents with any header, claims or envelope, signed
// for real, so that each vector fails (or passes) for exactly the reason it is meant to.
import { sign } from 'node:crypto';
import { encode } from 'cborg';
import type { PassClaims, SigningKey } from '../../protocol/index.js';
import { base45Encode } from '../../protocol/internal/base45.js';
import { sigStructure } from '../../protocol/internal/cose.js';
import { CLAIM } from '../../protocol/pass/claims.js';
import { kidBytesFor } from '../../protocol/keys.js';

export function claimsMap(c: PassClaims): Map<number | string, unknown> {
  return new Map<number | string, unknown>([
    [CLAIM.iss, c.issuer],
    [CLAIM.exp, c.expiresAt],
    [CLAIM.nbf, c.notBefore],
    [CLAIM.iat, c.issuedAt],
    [CLAIM.cti, Buffer.from(c.passId, 'hex')],
    [CLAIM.rid, Buffer.from(c.revocationId, 'hex')],
    [CLAIM.colour, c.colour],
    [CLAIM.scope, c.scope === 'all' ? '*' : [...c.scope]],
  ]);
}

export interface CraftOptions {
  readonly key: SigningKey;
  /** Protected header; default { 1: -8, 4: kid of key } (plus cty for documents). */
  readonly header?: Map<number | string, unknown>;
  readonly unprotected?: Map<number | string, unknown>;
  /** The payload bytes that are signed. */
  readonly payload: Uint8Array;
  /** Payload put on the wire instead of the signed one (tampering after signing). */
  readonly wirePayload?: Uint8Array;
  readonly transformSignature?: (sig: Uint8Array) => Uint8Array;
  /** COSE tag number; null for untagged. Default 18. */
  readonly tag?: number | null;
  readonly trailing?: Uint8Array;
  /** Raw bytes of the protected header instead of encoding `header` (e.g. non-canonical). */
  readonly protectedBytes?: Uint8Array;
}

export function defaultHeader(key: SigningKey, cty?: string): Map<number, unknown> {
  const h = new Map<number, unknown>([[1, -8]]);
  if (cty !== undefined) h.set(3, cty);
  h.set(4, kidBytesFor(key.publicKey));
  return h;
}

export function craftCose(o: CraftOptions): Uint8Array {
  const protectedBytes = o.protectedBytes ?? encode(o.header ?? defaultHeader(o.key));
  let sig: Uint8Array = new Uint8Array(sign(null, sigStructure(protectedBytes, o.payload), o.key.privateKey));
  if (o.transformSignature) sig = o.transformSignature(sig);
  const body = encode([protectedBytes, o.unprotected ?? new Map(), o.wirePayload ?? o.payload, sig]);
  const tag = o.tag === undefined ? 18 : o.tag;
  const head = tag === null ? new Uint8Array(0) : tag < 24 ? Uint8Array.of(0xc0 + tag) : Uint8Array.of(0xd8, tag);
  return new Uint8Array(Buffer.concat([head, body, o.trailing ?? new Uint8Array(0)]));
}

export function craftPass(o: CraftOptions, prefix = 'GC1:'): string {
  return prefix + base45Encode(craftCose(o));
}

export function encodeMap(m: Map<unknown, unknown>): Uint8Array {
  return encode(m);
}
