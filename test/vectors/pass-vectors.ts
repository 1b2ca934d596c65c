// The pass vectors: one or more per outcome, each signed for real with the fixed test keys.
import { createHash } from 'node:crypto';
import type { IssuerKeyEntry, PassClaims, Scope, TrustBundle } from '../../protocol/index.js';
import { encodePublicKey, issuePass } from '../../protocol/index.js';
import { CLAIM } from '../../protocol/pass/claims.js';
import { craftPass, claimsMap, defaultHeader, encodeMap } from './craft.js';
import { testKey } from './fixed-keys.js';
import type { TestKeyName } from './fixed-keys.js';

/** 2027-01-15T08:00:00Z: the fixed "now" around which every vector is built. */
import { T0_S } from '../support/clock.js';

export { T0_S };
export const HOUR = 3600;
export const DAY = 86_400;
export const SITE = 'north-gate';

export interface PassVector {
  readonly title: string;
  readonly text: string;
  readonly context: {
    readonly now: number;
    readonly site?: string;
    readonly skewSeconds?: number;
    readonly trustDataAt?: number;
    readonly revoked?: readonly string[];
    /** Issuer entries put in front of the bundle's own (to test colliding kids). */
    readonly prependIssuers?: readonly IssuerKeyEntry[];
  };
  readonly expected: {
    readonly colour: string;
    readonly reason: string;
    readonly action: string;
    readonly claims: PassClaims | null;
  };
}

export function mainBundle(): TrustBundle {
  const entry = (
    name: TestKeyName,
    validFrom: number,
    status: IssuerKeyEntry['status'],
    validUntil = T0_S + 730 * DAY,
  ): IssuerKeyEntry => {
    const k = testKey(name);
    return { kid: k.kid, issuer: k.issuer, publicKey: encodePublicKey(k.publicKey), validFrom, validUntil, status };
  };
  const rev = testKey('revocation');
  return {
    version: 7,
    issuedAt: T0_S - DAY,
    sunset: T0_S + 365 * DAY,
    policy: { actions: { green: 'open', yellow: 'attention', red: 'deny' }, maxOfflineAgeSeconds: 48 * HOUR },
    issuers: [
      entry('issuer', T0_S - 30 * DAY, 'active'),
      entry('revokedIssuer', T0_S - 30 * DAY, 'revoked'),
      entry('lateIssuer', T0_S + DAY, 'active'),
      entry('retiredIssuer', T0_S - 300 * DAY, 'retired', T0_S - 2 * DAY),
    ],
    revocationKeys: [{ kid: rev.kid, publicKey: encodePublicKey(rev.publicKey) }],
  };
}

let counter = 0;
/** Deterministic ids for the vectors (real passes get random ones). */
function ids(): { passId: string; revocationId: string } {
  counter++;
  const hex = (what: string): string => createHash('sha256').update(`${what}-${counter}`).digest('hex').slice(0, 32);
  return { passId: hex('pass'), revocationId: hex('revocation') };
}

function claims(over: Partial<PassClaims> = {}): PassClaims {
  return {
    issuer: 'acme-events',
    ...ids(),
    colour: 'green',
    issuedAt: T0_S - HOUR,
    notBefore: T0_S - HOUR,
    expiresAt: T0_S + 30 * DAY,
    scope: 'all' as Scope,
    ...over,
  };
}

const NOW = T0_S;

function ok(
  title: string,
  c: PassClaims,
  context: PassVector['context'] = { now: NOW, site: SITE },
  key = testKey('issuer'),
): PassVector {
  const { text } = issuePass(c, key);
  const action = { green: 'open', yellow: 'attention', red: 'deny' }[c.colour];
  return { title, text, context, expected: { colour: c.colour, reason: 'OK', action, claims: c } };
}

function fail(
  title: string,
  text: string,
  reason: string,
  context: PassVector['context'] = { now: NOW, site: SITE },
): PassVector {
  return { title, text, context, expected: { colour: 'red', reason, action: 'deny', claims: null } };
}

/** A real signed pass with a claims map changed before signing. */
function signedClaims(mutate: (m: Map<number | string, unknown>) => void, key = testKey('issuer')): string {
  const m = claimsMap(claims());
  mutate(m);
  return craftPass({ key, payload: encodeMap(m) });
}

export function passVectors(): PassVector[] {
  counter = 0;
  const issuer = testKey('issuer');
  const good = claims();
  const goodText = issuePass(good, issuer).text;
  const body = goodText.slice(4);
  const payload = encodeMap(claimsMap(good));
  const v: PassVector[] = [];

  v.push(ok('valid green pass, all sites', good));
  v.push(
    ok('valid yellow pass scoped to two sites', claims({ colour: 'yellow', scope: ['north-gate', 'south-gate'] })),
  );
  v.push(ok('valid red pass', claims({ colour: 'red' })));
  v.push(ok('valid: not-before exactly at the skew edge', claims({ notBefore: NOW + 300, issuedAt: NOW - HOUR })));
  v.push(ok('valid: expiry one second inside the skew', claims({ expiresAt: NOW - 299 })));
  v.push(
    ok(
      'valid: 6 sites of 12 characters, a long realistic scope',
      claims({ scope: Array.from({ length: 6 }, (_, i) => `gate-hall-${String(i).padStart(2, '0')}`) }),
      { now: NOW, site: 'gate-hall-03' },
    ),
  );
  const retired = testKey('retiredIssuer');
  v.push(
    ok(
      'valid: signed by a retired key within its validity',
      claims({ issuedAt: T0_S - 3 * DAY }),
      { now: NOW, site: SITE },
      retired,
    ),
  );
  v.push(
    fail(
      'issued by a retired key after its validity',
      issuePass(claims({ issuedAt: T0_S - HOUR }), retired).text,
      'KEY_NOT_VALID',
    ),
  );

  const colliding = {
    kid: issuer.kid,
    issuer: 'acme-events',
    publicKey: encodePublicKey(testKey('stranger').publicKey),
    validFrom: 0,
    validUntil: T0_S + 730 * DAY,
    status: 'active' as const,
  };
  v.push(
    ok('valid: another key with the same kid is tried first', claims(), {
      now: NOW,
      site: SITE,
      prependIssuers: [colliding],
    }),
  );

  v.push(fail('too large: 400 characters', 'GC1:' + '0'.repeat(396), 'TOO_LARGE'));
  v.push(fail('wrong prefix HC1:', 'HC1:' + body, 'BAD_PREFIX'));
  v.push(fail('lower-case prefix', 'gc1:' + body, 'BAD_PREFIX'));
  v.push(fail('no prefix at all', body, 'BAD_PREFIX'));
  v.push(fail('base45: lower-case character', 'GC1:' + body.slice(0, 10) + 'a' + body.slice(11), 'BAD_ENCODING'));
  v.push(fail('base45: length 3n+1', 'GC1:' + body.slice(0, body.length - ((body.length - 1) % 3)), 'BAD_ENCODING'));
  v.push(fail('base45: triplet above 65535', 'GC1:' + ':::' + body.slice(3), 'BAD_ENCODING'));
  v.push(fail('empty after the prefix', 'GC1:', 'MALFORMED'));
  v.push(fail('COSE untagged', craftPass({ key: issuer, payload, tag: null }), 'MALFORMED'));
  v.push(fail('COSE with the wrong tag (COSE_Sign, 98)', craftPass({ key: issuer, payload, tag: 98 }), 'MALFORMED'));
  v.push(
    fail(
      'kid in the unprotected header',
      craftPass({ key: issuer, payload, unprotected: new Map([[4, Buffer.from(issuer.kid, 'hex')]]) }),
      'MALFORMED',
    ),
  );
  v.push(
    fail(
      'alg in the unprotected header too',
      craftPass({ key: issuer, payload, unprotected: new Map([[1, -8]]) }),
      'MALFORMED',
    ),
  );
  const withCrit = defaultHeader(issuer);
  withCrit.set(2, [99]);
  v.push(
    fail('extra protected header parameter (crit)', craftPass({ key: issuer, payload, header: withCrit }), 'MALFORMED'),
  );
  v.push(
    fail(
      'signature 63 bytes',
      craftPass({ key: issuer, payload, transformSignature: (s) => s.subarray(0, 63) }),
      'MALFORMED',
    ),
  );
  v.push(
    fail(
      'trailing byte after the COSE structure',
      craftPass({ key: issuer, payload, trailing: Uint8Array.of(0) }),
      'MALFORMED',
    ),
  );
  const longAlg = Buffer.from('a2013807' + '0448' + issuer.kid, 'hex'); // -8 as 0x38 0x07 instead of 0x27
  v.push(
    fail(
      'non-canonical protected header (alg in two bytes)',
      craftPass({ key: issuer, payload, protectedBytes: new Uint8Array(longAlg) }),
      'MALFORMED',
    ),
  );
  const noAlg = new Map<number, unknown>([[4, Buffer.from(issuer.kid, 'hex')]]);
  v.push(fail('alg missing', craftPass({ key: issuer, payload, header: noAlg }), 'MALFORMED'));
  const shortKid = new Map<number, unknown>([
    [1, -8],
    [4, Buffer.from(issuer.kid, 'hex').subarray(0, 4)],
  ]);
  v.push(fail('kid of 4 bytes', craftPass({ key: issuer, payload, header: shortKid }), 'MALFORMED'));
  const es256 = new Map<number, unknown>([
    [1, -7],
    [4, Buffer.from(issuer.kid, 'hex')],
  ]);
  v.push(fail('alg ES256 (-7)', craftPass({ key: issuer, payload, header: es256 }), 'UNSUPPORTED_ALG'));
  const textAlg = new Map<number, unknown>([
    [1, 'EdDSA'],
    [4, Buffer.from(issuer.kid, 'hex')],
  ]);
  v.push(fail('alg as text', craftPass({ key: issuer, payload, header: textAlg }), 'UNSUPPORTED_ALG'));
  v.push(fail('signed by a key not in the bundle', craftPass({ key: testKey('stranger'), payload }), 'UNKNOWN_KEY'));
  v.push(fail('signed by a revoked key', craftPass({ key: testKey('revokedIssuer'), payload }), 'KEY_NOT_VALID'));
  const lateClaims = encodeMap(claimsMap(claims({ issuer: 'late-issuer' })));
  v.push(
    fail(
      'issued before the key became valid',
      craftPass({ key: testKey('lateIssuer'), payload: lateClaims }),
      'KEY_NOT_VALID',
    ),
  );
  v.push(
    fail(
      'one signature bit flipped',
      craftPass({
        key: issuer,
        payload,
        transformSignature: (s) => {
          const c = Uint8Array.from(s);
          c[10]! ^= 0x04;
          return c;
        },
      }),
      'BAD_SIGNATURE',
    ),
  );
  const stranger = testKey('stranger');
  v.push(
    fail(
      "another key's signature under the issuer's kid",
      craftPass({ key: stranger, payload, header: defaultHeader(issuer) }),
      'BAD_SIGNATURE',
    ),
  );
  const tampered = encodeMap(claimsMap({ ...good, colour: 'green', expiresAt: good.expiresAt + 365 * DAY }));
  v.push(
    fail(
      'claims changed after signing (expiry extended)',
      craftPass({ key: issuer, payload, wirePayload: tampered }),
      'BAD_SIGNATURE',
    ),
  );
  v.push(
    fail(
      'unknown extra claim',
      signedClaims((m) => m.set(8, 1)),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'a personal field (name) as a text claim',
      signedClaims((m) => m.set('name', 'Alice Example')),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'scope claim missing',
      signedClaims((m) => m.delete(CLAIM.scope)),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'colour blue',
      signedClaims((m) => m.set(CLAIM.colour, 'blue')),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'pass id of 8 bytes',
      signedClaims((m) => m.set(CLAIM.cti, Buffer.alloc(8, 1))),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'revocation id equal to the pass id',
      signedClaims((m) => m.set(CLAIM.rid, m.get(CLAIM.cti))),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'issuer claim differs from the key issuer',
      signedClaims((m) => m.set(CLAIM.iss, 'other-org')),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'expiry before not-before',
      signedClaims((m) => m.set(CLAIM.exp, T0_S - 2 * HOUR)),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'expiry as a float',
      signedClaims((m) => m.set(CLAIM.exp, T0_S + 0.5)),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'empty scope list',
      signedClaims((m) => m.set(CLAIM.scope, [])),
      'BAD_CLAIMS',
    ),
  );
  v.push(
    fail(
      'duplicate site in scope',
      signedClaims((m) => m.set(CLAIM.scope, ['a', 'a'])),
      'BAD_CLAIMS',
    ),
  );
  v.push(fail('claims not a map', craftPass({ key: issuer, payload: Uint8Array.of(0x80) }), 'BAD_CLAIMS'));
  v.push(
    fail('not yet valid beyond the skew', issuePass(claims({ notBefore: NOW + 301 }), issuer).text, 'NOT_YET_VALID'),
  );
  v.push(fail('expired at the skew edge', issuePass(claims({ expiresAt: NOW - 300 }), issuer).text, 'EXPIRED'));
  v.push(
    fail('expired with zero skew', issuePass(claims({ expiresAt: NOW }), issuer).text, 'EXPIRED', {
      now: NOW,
      site: SITE,
      skewSeconds: 0,
    }),
  );
  v.push(fail('scoped to another site', issuePass(claims({ scope: ['south-gate'] }), issuer).text, 'WRONG_SCOPE'));
  v.push(
    fail(
      'site-scoped pass at a gate without a site',
      issuePass(claims({ scope: ['north-gate'] }), issuer).text,
      'WRONG_SCOPE',
      { now: NOW },
    ),
  );
  const revoked = claims();
  v.push(
    fail('revoked', issuePass(revoked, issuer).text, 'REVOKED', {
      now: NOW,
      site: SITE,
      revoked: [revoked.revocationId],
    }),
  );
  v.push(
    fail('after the sunset', issuePass(claims({ expiresAt: T0_S + 400 * DAY }), issuer).text, 'SUNSET', {
      now: T0_S + 365 * DAY,
      site: SITE,
    }),
  );

  const staleGreen = claims();
  v.push({
    title: 'stale trust data degrades green to yellow',
    text: issuePass(staleGreen, issuer).text,
    context: { now: NOW, site: SITE, trustDataAt: NOW - 48 * HOUR - 1 },
    expected: { colour: 'yellow', reason: 'BUNDLE_STALE', action: 'attention', claims: staleGreen },
  });
  const staleRed = claims({ colour: 'red' });
  v.push({
    title: 'stale trust data never upgrades red',
    text: issuePass(staleRed, issuer).text,
    context: { now: NOW, site: SITE, trustDataAt: NOW - 48 * HOUR - 1 },
    expected: { colour: 'red', reason: 'BUNDLE_STALE', action: 'deny', claims: staleRed },
  });
  v.push(
    ok('trust data exactly at the maximum offline age is not stale', claims(), {
      now: NOW,
      site: SITE,
      trustDataAt: NOW - 48 * HOUR,
    }),
  );
  return v;
}
