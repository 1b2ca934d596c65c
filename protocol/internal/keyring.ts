// The keys of a trust bundle, indexed by their kid as the bundle states it (verifyBundle has checked that it is
// derived from the key; hand-built bundles in tests may set colliding kids on purpose), with node:crypto
// KeyObjects prepared once per bundle object (a WeakMap, so a replaced bundle and its keys are collected). Issuer
// keys are found by the kid's bytes as a pass carries them, with no hex string built per scan: indexed by the
// kid's first 30 bits (a small integer), then compared byte by byte.
import type { KeyObject } from 'node:crypto';
import type { IssuerKeyEntry, TrustBundle } from '../types.js';
import { fromBase64Url, publicKeyObject, PUBLIC_KEY_BYTES } from '../keys.js';

export interface IssuerCandidate {
  readonly entry: IssuerKeyEntry;
  readonly raw: Uint8Array;
  readonly keyObject: KeyObject;
  /** The entry's kid as bytes. */
  readonly kid: Uint8Array;
}

export interface RevocationSigner {
  readonly kid: string;
  readonly raw: Uint8Array;
  readonly keyObject: KeyObject;
}

interface Keyring {
  /** By kidIndex of the kid's bytes; each list in bundle order. */
  readonly issuers: ReadonlyMap<number, readonly IssuerCandidate[]>;
  readonly revocation: ReadonlyMap<string, readonly RevocationSigner[]>;
}

const cache = new WeakMap<TrustBundle, Keyring>();

const KID_HEX = /^[0-9a-f]{16}$/;

/** The first 30 bits of a kid at bytes[at]: a small integer (no heap number), the index of the issuer keys. */
function kidIndex(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 22) | (bytes[at + 1]! << 14) | (bytes[at + 2]! << 6) | (bytes[at + 3]! >> 2);
}

function push<K, T>(map: Map<K, T[]>, kid: K, value: T): void {
  const list = map.get(kid);
  if (list) list.push(value);
  else map.set(kid, [value]);
}

function tryKeyObject(raw: Uint8Array): KeyObject | null {
  try {
    return publicKeyObject(raw);
  } catch {
    return null;
  }
}

/** The last bundle asked for and its keyring: a gate asks for the same bundle scan after scan. */
let lastBundle: WeakRef<TrustBundle> | null = null;
let lastRing: Keyring | null = null;

function keyringOf(bundle: TrustBundle): Keyring {
  if (lastRing !== null && lastBundle?.deref() === bundle) return lastRing;
  let ring = cache.get(bundle);
  if (ring) {
    lastBundle = new WeakRef(bundle);
    lastRing = ring;
    return ring;
  }
  const issuers = new Map<number, IssuerCandidate[]>();
  for (const entry of bundle.issuers) {
    const raw = fromBase64Url(entry.publicKey);
    // An entry whose key is not a valid Ed25519 key can verify nothing; verifyBundle never lets one through. Nor can
    // one whose kid is not 16 lower-case hex digits: no pass's kid is written so.
    if (!raw || raw.length !== PUBLIC_KEY_BYTES || !KID_HEX.test(entry.kid)) continue;
    const keyObject = tryKeyObject(raw);
    const kid = Uint8Array.from(Buffer.from(entry.kid, 'hex'));
    if (keyObject) push(issuers, kidIndex(kid, 0), { entry, raw, keyObject, kid });
  }
  const revocation = new Map<string, RevocationSigner[]>();
  for (const k of bundle.revocationKeys) {
    const raw = fromBase64Url(k.publicKey);
    if (!raw || raw.length !== PUBLIC_KEY_BYTES) continue;
    const keyObject = tryKeyObject(raw);
    if (keyObject) push(revocation, k.kid, { kid: k.kid, raw, keyObject });
  }
  ring = { issuers, revocation };
  cache.set(bundle, ring);
  lastBundle = new WeakRef(bundle);
  lastRing = ring;
  return ring;
}

const NONE: readonly IssuerCandidate[] = [];

function sameKid(candidate: IssuerCandidate, bytes: Uint8Array, at: number): boolean {
  const kid = candidate.kid;
  for (let i = 0; i < kid.length; i++) if (kid[i] !== bytes[at + i]) return false;
  return true;
}

/** Every issuer key whose kid equals the 8 bytes at bytes[at], in bundle order. */
export function issuerCandidates(bundle: TrustBundle, bytes: Uint8Array, at = 0): readonly IssuerCandidate[] {
  const listed = keyringOf(bundle).issuers.get(kidIndex(bytes, at));
  if (listed === undefined) return NONE;
  // Nearly always every key listed under the index has this very kid: then the list itself, nothing allocated.
  for (const candidate of listed)
    if (!sameKid(candidate, bytes, at)) return listed.filter((c) => sameKid(c, bytes, at));
  return listed;
}

export function revocationCandidates(bundle: TrustBundle, kid: string): readonly RevocationSigner[] {
  return keyringOf(bundle).revocation.get(kid) ?? [];
}
