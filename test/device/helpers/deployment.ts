// A throw-away deployment for device tests: root and issuer keys, a signed trust bundle, passes and signed
// revocation lists, all made with the real protocol code.
import {
  encodePublicKey,
  generateSigningKey,
  newLogId,
  issuePass,
  signBundle,
  signRevocations,
} from '../../../protocol/index.js';
import type { SigningKey } from '../../../protocol/index.js';
import type { Colour, ColourAction, RevokedEntry, Scope, TrustBundle } from '../../../protocol/types.js';

export const SITE = 'north';
export const T0 = 1_800_000_000; // epoch seconds used as "now" by the tests

export interface PassOptions {
  colour?: Colour;
  notBefore?: number;
  expiresAt?: number;
  issuedAt?: number;
  scope?: Scope;
  key?: SigningKey;
}

export interface BundleOptions {
  version?: number;
  issuedAt?: number;
  actions?: Partial<Record<Colour, ColourAction>>;
  maxOfflineAgeSeconds?: number;
  sunset?: number;
}

export class Deployment {
  readonly root = generateSigningKey('root');
  readonly issuer = generateSigningKey('acme');
  readonly rootPublicKey = encodePublicKey(this.root.publicKey);
  /** The server history the revocation lists belong to. */
  readonly logId = newLogId();

  bundle(opts: BundleOptions = {}): TrustBundle {
    return {
      version: opts.version ?? 1,
      issuedAt: opts.issuedAt ?? T0 - 3600,
      issuers: [
        {
          kid: this.issuer.kid,
          issuer: this.issuer.issuer,
          publicKey: encodePublicKey(this.issuer.publicKey),
          validFrom: T0 - 86_400 * 365,
          validUntil: T0 + 86_400 * 365,
          status: 'active',
        },
      ],
      revocationKeys: [],
      policy: {
        actions: { green: 'open', yellow: 'deny', red: 'deny', ...opts.actions },
        maxOfflineAgeSeconds: opts.maxOfflineAgeSeconds ?? 48 * 3600,
      },
      sunset: opts.sunset ?? T0 + 86_400 * 180,
    };
  }

  bundleBytes(opts: BundleOptions = {}): Uint8Array {
    return signBundle(this.bundle(opts), this.root);
  }

  pass(opts: PassOptions = {}): { text: string; passId: string; revocationId: string; expiresAt: number } {
    const { text, claims } = issuePass(
      {
        colour: opts.colour ?? 'green',
        notBefore: opts.notBefore ?? T0 - 3600,
        expiresAt: opts.expiresAt ?? T0 + 30 * 86_400,
        issuedAt: opts.issuedAt ?? T0 - 3600,
        scope: opts.scope ?? 'all',
      },
      opts.key ?? this.issuer,
    );
    return { text, passId: claims.passId, revocationId: claims.revocationId, expiresAt: claims.expiresAt };
  }

  revocationSnapshot(revoked: RevokedEntry[], toSeq = 1, issuedAt = T0 - 1800): Uint8Array {
    return signRevocations(
      { kind: 'snapshot', logId: this.logId, fromSeq: 0, toSeq, issuedAt, added: revoked, removed: [] },
      this.root,
    );
  }
}

/** A pass signed by a key the bundle does not know, and one whose signature was tampered with. */
export function foreignAndForged(d: Deployment): { unknownKey: string; forged: string } {
  const stranger = generateSigningKey('acme');
  const unknownKey = d.pass({ key: stranger }).text;
  // Same kid as the real issuer, other private key: the signature cannot verify.
  const impostor: SigningKey = { ...stranger, kid: d.issuer.kid, publicKey: d.issuer.publicKey };
  const forged = d.pass({ key: impostor }).text;
  return { unknownKey, forged };
}
