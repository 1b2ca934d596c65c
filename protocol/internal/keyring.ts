// The keys of a trust bundle, indexed by their kid as the bundle states it (verifyBundle has checked that it is
// derived from the key; hand-built bundles in tests may set colliding kids on purpose), with node:crypto
// KeyObjects prepared once per bundle object (a WeakMap, so a replaced bundle and its keys are collected).
import type { KeyObject } from 'node:crypto';
import type { IssuerKeyEntry, TrustBundle } from '../types.js';
import { fromBase64Url, publicKeyObject, PUBLIC_KEY_BYTES } from '../keys.js';

export interface IssuerCandidate {
  readonly entry: IssuerKeyEntry;
  readonly raw: Uint8Array;
  readonly keyObject: KeyObject;
}

export interface RevocationSigner {
  readonly kid: string;
  readonly raw: Uint8Array;
  readonly keyObject: KeyObject;
}

interface Keyring {
  readonly issuers: ReadonlyMap<string, readonly IssuerCandidate[]>;
  readonly revocation: ReadonlyMap<string, readonly RevocationSigner[]>;
}

const cache = new WeakMap<TrustBundle, Keyring>();

function push<T>(map: Map<string, T[]>, kid: string, value: T): void {
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

function keyringOf(bundle: TrustBundle): Keyring {
  let ring = cache.get(bundle);
  if (ring) return ring;
  const issuers = new Map<string, IssuerCandidate[]>();
  for (const entry of bundle.issuers) {
    const raw = fromBase64Url(entry.publicKey);
    // An entry whose key is not a valid Ed25519 key can verify nothing; verifyBundle never lets one through.
    if (!raw || raw.length !== PUBLIC_KEY_BYTES) continue;
    const keyObject = tryKeyObject(raw);
    if (keyObject) push(issuers, entry.kid, { entry, raw, keyObject });
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
  return ring;
}

/** Every issuer key whose kid (derived from its public key) equals `kid`, in bundle order. */
export function issuerCandidates(bundle: TrustBundle, kid: string): readonly IssuerCandidate[] {
  return keyringOf(bundle).issuers.get(kid) ?? [];
}

export function revocationCandidates(bundle: TrustBundle, kid: string): readonly RevocationSigner[] {
  return keyringOf(bundle).revocation.get(kid) ?? [];
}
