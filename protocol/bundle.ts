// Trust bundle: the deployment root key signs the issuer keys, the revocation signers, the policy and the sunset.
// Wire: COSE_Sign1, content type application/gatecode-bundle+cbor, payload a canonical CBOR map with text keys.
import { ProtocolError } from './errors.js';
import { COLOURS } from './types.js';
import type { ColourAction, IssuerKeyEntry, IssuerKeyStatus, Policy, TrustBundle } from './types.js';
import { cborDecodeStrict, cborEncode, isBytes, isMap } from './internal/cbor.js';
import { decodeHours, encodeHours } from './hours/cbor.js';
import type { Cbor } from './internal/cbor.js';
import { bad, CTY_BUNDLE, expectMap, list, openDocument, signDocument, uint } from './internal/document.js';
import { isName } from './internal/names.js';
import type { SigningKey } from './keys.js';
import { fromBase64Url, kidFor, publicKeyObject, PUBLIC_KEY_BYTES, toBase64Url } from './keys.js';

export const MAX_BUNDLE_BYTES = 64 * 1024;
export const MAX_BUNDLE_ISSUERS = 256;
export const MAX_REVOCATION_KEYS = 16;
const ACTIONS: readonly ColourAction[] = ['open', 'attention', 'deny'];
const STATUSES: readonly IssuerKeyStatus[] = ['active', 'retired', 'revoked'];

function rawKey(text: string, what: string): Uint8Array {
  const raw = fromBase64Url(text);
  if (!raw || raw.length !== PUBLIC_KEY_BYTES) bad(`${what}: public key is not 32 bytes of base64url`);
  return raw;
}

/** The policy map; `hours` only when set, so a bundle without hours has the same bytes as before the field. */
function encodePolicy(p: Policy): Map<string, unknown> {
  const map = new Map<string, unknown>([
    ['actions', new Map(COLOURS.map((c) => [c, p.actions[c]]))],
    ['maxOfflineAgeSeconds', p.maxOfflineAgeSeconds],
  ]);
  if (p.hours !== undefined) map.set('hours', encodeHours(p.hours));
  return map;
}

function encodePayload(b: TrustBundle): Uint8Array {
  return cborEncode(
    new Map<string, unknown>([
      ['version', b.version],
      ['issuedAt', b.issuedAt],
      ['sunset', b.sunset],
      ['policy', encodePolicy(b.policy)],
      [
        'issuers',
        b.issuers.map((k) => {
          if (k.kid !== kidFor(rawKey(k.publicKey, 'issuer'))) bad('issuer: kid does not match its public key');
          return new Map<string, unknown>([
            ['issuer', k.issuer],
            ['publicKey', rawKey(k.publicKey, 'issuer')],
            ['validFrom', k.validFrom],
            ['validUntil', k.validUntil],
            ['status', k.status],
          ]);
        }),
      ],
      [
        'revocationKeys',
        b.revocationKeys.map((k) => {
          if (k.kid !== kidFor(rawKey(k.publicKey, 'revocation key')))
            bad('revocation key: kid does not match its public key');
          return new Map([['publicKey', rawKey(k.publicKey, 'revocation key')]]);
        }),
      ],
    ]),
  );
}

function publicKeyField(map: ReadonlyMap<Cbor, Cbor>, what: string): Uint8Array {
  const v = map.get('publicKey');
  if (!isBytes(v) || v.length !== PUBLIC_KEY_BYTES) bad(`${what}.publicKey: not 32 bytes`);
  try {
    publicKeyObject(v);
  } catch {
    bad(`${what}.publicKey: not an Ed25519 public key`);
  }
  return v;
}

function decodePolicy(v: Cbor | undefined): Policy {
  const hasHours = isMap(v) && v.has('hours');
  const map = expectMap(v, ['actions', 'maxOfflineAgeSeconds', ...(hasHours ? ['hours'] : [])], 'policy');
  const actionsMap = expectMap(map.get('actions'), COLOURS, 'policy.actions');
  const actions = {} as Record<(typeof COLOURS)[number], ColourAction>;
  for (const c of COLOURS) {
    const a = actionsMap.get(c);
    if (typeof a !== 'string' || !(ACTIONS as readonly string[]).includes(a))
      bad(`policy.actions.${c}: open, attention or deny`);
    actions[c] = a as ColourAction;
  }
  const maxOfflineAgeSeconds = uint(map, 'maxOfflineAgeSeconds', 'policy');
  if (maxOfflineAgeSeconds < 1) bad('policy.maxOfflineAgeSeconds: at least 1');
  const policy = { actions: Object.freeze(actions), maxOfflineAgeSeconds };
  return Object.freeze(hasHours ? { ...policy, hours: decodeHours(map.get('hours')) } : policy);
}

function decodeIssuer(v: Cbor): IssuerKeyEntry {
  const what = 'issuers[]';
  const map = expectMap(v, ['issuer', 'publicKey', 'validFrom', 'validUntil', 'status'], what);
  const issuer = map.get('issuer');
  if (!isName(issuer)) bad(`${what}.issuer: 1-32 characters of A-Z a-z 0-9 . _ -`);
  const raw = publicKeyField(map, what);
  const validFrom = uint(map, 'validFrom', what);
  const validUntil = uint(map, 'validUntil', what);
  if (validUntil <= validFrom) bad(`${what}: validUntil must be after validFrom`);
  const status = map.get('status');
  if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status))
    bad(`${what}.status: active, retired or revoked`);
  return Object.freeze({
    kid: kidFor(raw),
    issuer,
    publicKey: toBase64Url(raw),
    validFrom,
    validUntil,
    status: status as IssuerKeyStatus,
  });
}

/** Decode and check a bundle payload (after its signature holds, or before signing one). */
function decodePayload(payload: Uint8Array): TrustBundle {
  const map = expectMap(
    cborDecodeStrict(payload, 'BAD_CLAIMS'),
    ['version', 'issuedAt', 'sunset', 'policy', 'issuers', 'revocationKeys'],
    'bundle',
  );
  const version = uint(map, 'version', 'bundle');
  if (version < 1) bad('bundle.version: at least 1');
  const issuedAt = uint(map, 'issuedAt', 'bundle');
  const sunset = uint(map, 'sunset', 'bundle');
  if (sunset <= issuedAt) bad('bundle.sunset: must be after issuedAt');
  const policy = decodePolicy(map.get('policy'));
  const issuers = list(map, 'issuers', MAX_BUNDLE_ISSUERS, 'bundle').map(decodeIssuer);
  if (new Set(issuers.map((k) => k.publicKey)).size !== issuers.length) bad('bundle.issuers: the same key twice');
  const revocationKeys = list(map, 'revocationKeys', MAX_REVOCATION_KEYS, 'bundle').map((v) => {
    const raw = publicKeyField(expectMap(v, ['publicKey'], 'revocationKeys[]'), 'revocationKeys[]');
    return Object.freeze({ kid: kidFor(raw), publicKey: toBase64Url(raw) });
  });
  if (new Set(revocationKeys.map((k) => k.publicKey)).size !== revocationKeys.length)
    bad('bundle.revocationKeys: the same key twice');
  return Object.freeze({
    version,
    issuedAt,
    sunset,
    policy,
    issuers: Object.freeze(issuers),
    revocationKeys: Object.freeze(revocationKeys),
  });
}

/** Sign a bundle with the root key. The bundle is checked by the same rules a device applies (BAD_CLAIMS). */
export function signBundle(bundle: TrustBundle, rootKey: SigningKey): Uint8Array {
  const payload = encodePayload(bundle);
  decodePayload(payload);
  return signDocument(CTY_BUNDLE, payload, rootKey);
}

/**
 * Verify a bundle against the pinned root public key: size → COSE shape → content type → alg → kid (must be the
 * root's) → signature → payload → version (VERSION_ROLLBACK when version <= minVersion).
 */
export function verifyBundle(
  bytes: Uint8Array,
  rootPublicKey: Uint8Array,
  opts: { minVersion?: number } = {},
): TrustBundle {
  const doc = openDocument(bytes, CTY_BUNDLE, MAX_BUNDLE_BYTES);
  if (doc.kid !== kidFor(rootPublicKey))
    throw new ProtocolError('UNKNOWN_KEY', 'bundle not signed by the pinned root key');
  if (!doc.verifiedBy(publicKeyObject(rootPublicKey)))
    throw new ProtocolError('BAD_SIGNATURE', 'bundle signature does not verify');
  const bundle = decodePayload(doc.payload);
  if (opts.minVersion !== undefined && bundle.version <= opts.minVersion) {
    throw new ProtocolError('VERSION_ROLLBACK', 'bundle version not above the one held');
  }
  return bundle;
}

/**
 * For tools only (`gatecode bundle show`, `pass verify` without a root key): the bundle's content and the kid that
 * signed it, with its structure checked but its signature NOT checked. A device never calls this.
 */
export function readBundleUnverified(bytes: Uint8Array): { bundle: TrustBundle; signerKid: string } {
  const doc = openDocument(bytes, CTY_BUNDLE, MAX_BUNDLE_BYTES);
  return { bundle: decodePayload(doc.payload), signerKid: doc.kid };
}
