// The added and removed lists of revocation documents (whole deltas in revocations.ts, delta pages in
// revocation-pages.ts), read from a decoded payload map: every failure is BAD_CLAIMS (the signature already holds).
import type { RevokedEntry } from '../types.js';
import { toHex } from '../keys.js';
import { ID_MAX_BYTES, ID_MIN_BYTES } from '../pass/claims.js';
import { isBytes, isUint } from './cbor.js';
import type { Cbor } from './cbor.js';
import { bad, list } from './document.js';

/** A revocation id as the types carry it: 16 to 32 bytes as lower-case hex. */
export const HEX_ID = /^(?:[0-9a-f]{2}){16,32}$/;

/** A revocation id on the wire (a 16-32 byte string) as lower-case hex. */
export function readId(v: Cbor | undefined): string {
  if (!isBytes(v) || v.length < ID_MIN_BYTES || v.length > ID_MAX_BYTES) bad('revocation id: 16-32 bytes');
  return toHex(v);
}

/** `added`: [[rid, expiresAt], …], at most `max` entries. */
export function readAdded(map: ReadonlyMap<Cbor, Cbor>, max: number, what: string): RevokedEntry[] {
  return list(map, 'added', max, what).map((e) => {
    if (!Array.isArray(e) || e.length !== 2) bad(`${what}.added[]: [id, expiresAt]`);
    const [id, expiresAt] = e as Cbor[];
    if (!isUint(expiresAt)) bad(`${what}.added[].expiresAt: not a whole non-negative number`);
    return Object.freeze({ revocationId: readId(id), expiresAt });
  });
}

/** `removed`: [rid, …], at most `max` entries. */
export function readRemoved(map: ReadonlyMap<Cbor, Cbor>, max: number, what: string): string[] {
  return list(map, 'removed', max, what).map(readId);
}

/** Refuses an id named twice, or both added and removed (in any order). */
export function checkDistinct(added: readonly RevokedEntry[], removed: readonly string[], what: string): void {
  const ids = new Set(added.map((a) => a.revocationId));
  if (ids.size !== added.length) bad(`${what}.added: the same id twice`);
  if (new Set(removed).size !== removed.length) bad(`${what}.removed: the same id twice`);
  if (removed.some((r) => ids.has(r))) bad(`${what}: an id both added and removed`);
}

/** The ids and expiry times a signer is given, in the form the wire carries. */
export function checkOutgoing(added: readonly RevokedEntry[], removed: readonly string[]): void {
  for (const a of added) {
    if (!HEX_ID.test(a.revocationId)) bad('revocation id: 16-32 bytes as lower-case hex');
    if (!Number.isSafeInteger(a.expiresAt) || a.expiresAt < 0)
      bad('added[].expiresAt: not a whole non-negative number');
  }
  for (const r of removed) if (!HEX_ID.test(r)) bad('revocation id: 16-32 bytes as lower-case hex');
}
