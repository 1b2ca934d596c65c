// A gate's memory of issuer signatures it has already checked. A holder-bound pass is shown as a live code that
// changes every 5 seconds, but the pass inside it is the same bytes each time; the camera also sees the same code
// in several frames. Remembering "these exact pass characters carry a valid signature by this issuer key, and
// decode to these claims" lets the gate check only the holder proof on a repeated showing (one Ed25519 check
// instead of two).
//
// What is cached is only what follows from the bytes alone: the signature held under a key of the trust bundle
// the cache is bound to, and the claims decoded from the signed payload. Everything that depends on the moment or
// on other data — the issuer key's status and validity, the pass's validity window, scope, revocation, sunset,
// stale trust data and the holder proof — runs on every check (checkPass). The key is the whole pass text: one
// different character is a different key, so a miss, so a full check. A different bundle object (new keys,
// policy) empties the cache; the device also empties it on every trust change (revocations included).
import type { IssuerKeyEntry, PassClaims, TrustBundle } from '../types.js';

export interface VerifiedPass {
  readonly claims: PassClaims;
  /** The bundle's entry for the key whose signature held. */
  readonly key: IssuerKeyEntry;
}

interface Entry extends VerifiedPass {
  /** Epoch seconds it was checked at. */
  readonly at: number;
}

export interface VerifiedPassCacheOptions {
  /** The most passes remembered; the least recently shown goes first. Default 512. */
  readonly maxEntries?: number;
  /** An entry older than this (seconds of the verify context's clock) is checked again. Default 600. */
  readonly maxAgeSeconds?: number;
}

export class VerifiedPassCache {
  private readonly entries = new Map<string, Entry>();
  private bundle: TrustBundle | null = null;
  private readonly maxEntries: number;
  private readonly maxAgeSeconds: number;
  hits = 0;
  misses = 0;

  constructor(opts: VerifiedPassCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 512;
    this.maxAgeSeconds = opts.maxAgeSeconds ?? 600;
  }

  /** The verified signature and claims of exactly this pass text under this bundle, or null (then check it). */
  get(passText: string, bundle: TrustBundle, now: number): VerifiedPass | null {
    if (bundle !== this.bundle) {
      this.clear();
      this.bundle = bundle;
    }
    const entry = this.entries.get(passText);
    if (entry === undefined) {
      this.misses++;
      return null;
    }
    this.entries.delete(passText);
    if (now - entry.at > this.maxAgeSeconds || now < entry.at) {
      this.misses++;
      return null;
    }
    this.entries.set(passText, entry); // most recently used last
    this.hits++;
    return entry;
  }

  /** Remember a pass whose signature held under `bundle` (call only after the full check of the signature). */
  set(passText: string, bundle: TrustBundle, now: number, verified: VerifiedPass): void {
    if (bundle !== this.bundle) {
      this.clear();
      this.bundle = bundle;
    }
    this.entries.delete(passText);
    this.entries.set(passText, { claims: verified.claims, key: verified.key, at: now });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  /** Forget everything: the trust data changed. */
  clear(): void {
    this.entries.clear();
    this.bundle = null;
  }

  get size(): number {
    return this.entries.size;
  }
}
