// The trust bundle: issuer keys, policy and sunset, signed by the root key, with a version that only rises.
// Every change (policy, sunset, key rotation) builds and signs a new version in the caller's transaction;
// the newest signed bytes are kept in memory for the polling path.
import { createHash } from 'node:crypto';
import { signBundle, type IssuerKeyEntry, type OpeningHours, type Policy, type TrustBundle } from '../protocol/index.js';
import { getMeta, setMeta, type Db } from './db.js';
import type { KeyStore } from './keystore.js';

export interface PolicySettings {
  readonly actions: Policy['actions'];
  readonly maxOfflineAgeSeconds: number;
  /** Epoch seconds after which every device refuses every pass and wipes. */
  readonly sunset: number;
  /** Opening hours signed into the bundle's policy; absent or null: always open (and no `hours` field is signed). */
  readonly hours?: OpeningHours | null;
}

export interface SignedBundle {
  readonly version: number;
  readonly bytes: Uint8Array;
  readonly etag: string;
  readonly bundle: TrustBundle;
}

const KEEP_VERSIONS = 20;

export class TrustState {
  private readonly db: Db;
  private readonly keys: KeyStore;
  private cached: SignedBundle | null = null;
  private policyMemo: PolicySettings | null = null;

  constructor(db: Db, keys: KeyStore) {
    this.db = db;
    this.keys = keys;
  }

  /** First start: store the initial policy. Returns true when it was written here. */
  initPolicy(initial: PolicySettings): boolean {
    if (getMeta(this.db, 'policy') !== null) return false;
    this.writePolicy(initial);
    return true;
  }

  policy(): PolicySettings {
    // Read once and kept (every poll checks the sunset); written only by writePolicy, cleared by invalidate.
    if (this.policyMemo) return this.policyMemo;
    const text = getMeta(this.db, 'policy');
    if (text === null) throw new Error('policy not initialised');
    this.policyMemo = Object.freeze(JSON.parse(text) as PolicySettings);
    return this.policyMemo;
  }

  setPolicy(next: PolicySettings): void {
    this.writePolicy(next);
  }

  /** The newest signed bundle, building the first one if there is none yet. */
  current(): SignedBundle {
    if (this.cached) return this.cached;
    const row = this.db.prepare('SELECT version, bytes FROM bundles ORDER BY version DESC LIMIT 1').get() as
      { version: number; bytes: Buffer } | undefined;
    if (!row) throw new Error('no bundle yet');
    const bundle = JSON.parse(getMeta(this.db, 'bundle') ?? 'null') as TrustBundle;
    this.cached = { version: row.version, bytes: new Uint8Array(row.bytes), etag: etagFor(row.bytes), bundle };
    return this.cached;
  }

  hasBundle(): boolean {
    return this.db.prepare('SELECT 1 FROM bundles LIMIT 1').get() !== undefined;
  }

  /**
   * Build, sign and store the next version (at least `atLeast`: a new history lifts it above anything the
   * abandoned history may have published). Call inside the transaction that made the change.
   */
  rebuild(now: number, atLeast = 0): SignedBundle {
    const last = this.db.prepare('SELECT MAX(version) AS v FROM bundles').get() as { v: number | null };
    const version = Math.max((last.v ?? 0) + 1, atLeast);
    const policy = this.policy();
    const bundle: TrustBundle = {
      version,
      issuedAt: now,
      issuers: this.issuerEntries(now, policy.sunset),
      revocationKeys: [],
      policy: {
        actions: policy.actions,
        maxOfflineAgeSeconds: policy.maxOfflineAgeSeconds,
        ...(policy.hours ? { hours: policy.hours } : {}),
      },
      sunset: policy.sunset,
    };
    const bytes = signBundle(bundle, this.keys.root());
    this.db
      .prepare('INSERT INTO bundles (version, issued_at, bytes) VALUES (?, ?, ?)')
      .run(version, now, Buffer.from(bytes));
    this.db.prepare('DELETE FROM bundles WHERE version <= ?').run(version - KEEP_VERSIONS);
    setMeta(this.db, 'bundle', JSON.stringify(bundle));
    this.cached = null;
    return { version, bytes, etag: etagFor(bytes), bundle };
  }

  /** How many issuer keys the next bundle would list (the format allows MAX_BUNDLE_ISSUERS). */
  issuerCount(now: number): number {
    return this.issuerEntries(now, this.policy().sunset).length;
  }

  /** Forget the in-memory copy (after a rolled-back transaction). */
  invalidate(): void {
    this.cached = null;
    this.policyMemo = null;
  }

  /**
   * Issuer keys in the bundle: the active key, valid until the sunset; a retired key, valid for passes issued
   * up to its retirement, listed while any pass it signed is unexpired; a revoked key, listed as revoked while
   * any pass it signed is unexpired, so those passes fail as KEY_NOT_VALID rather than as an unknown key.
   */
  private issuerEntries(now: number, sunset: number): IssuerKeyEntry[] {
    const liveUntil = this.db.prepare('SELECT MAX(expires_at) AS e FROM passes WHERE kid = ?');
    const out: IssuerKeyEntry[] = [];
    for (const k of this.keys.issuerRows()) {
      const base = { kid: k.kid, issuer: k.issuer, publicKey: k.publicKey, validFrom: k.createdAt };
      if (k.revokedAt === null && k.retiredAt === null) {
        out.push({ ...base, validUntil: Math.max(sunset, k.createdAt), status: 'active' });
        continue;
      }
      const last = (liveUntil.get(k.kid) as { e: number | null }).e;
      if (last === null || last <= now) continue;
      // The format wants validUntil > validFrom, also for a key retired in the second it was made.
      const until = Math.max((k.revokedAt ?? k.retiredAt) as number, k.createdAt + 1);
      out.push({ ...base, validUntil: until, status: k.revokedAt !== null ? 'revoked' : 'retired' });
    }
    return out;
  }

  private writePolicy(p: PolicySettings): void {
    this.policyMemo = null;
    setMeta(
      this.db,
      'policy',
      JSON.stringify({
        actions: p.actions,
        maxOfflineAgeSeconds: p.maxOfflineAgeSeconds,
        sunset: p.sunset,
        ...(p.hours ? { hours: p.hours } : {}),
      }),
    );
  }
}

export function etagFor(bytes: Uint8Array): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`;
}
