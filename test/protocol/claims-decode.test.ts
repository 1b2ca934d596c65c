// The one-walk claims decoder (claims-decode.ts) against a reference built from the general strict CBOR decoder
// (cborDecodeStrict: canonical form by re-encoding) and the claim rules written out plainly: on valid claims both
// give the same claims, on mutated ones both refuse, always with BAD_CLAIMS.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../protocol/index.js';
import type { PassClaims, Scope } from '../../protocol/index.js';
import { cborDecodeStrict, cborEncode } from '../../protocol/internal/cbor.js';
import { isName } from '../../protocol/internal/names.js';
import { CLAIM, CLAIM_NAMES, encodeClaims } from '../../protocol/pass/claims.js';
import { decodeClaims } from '../../protocol/pass/claims-decode.js';

function bad(): never {
  throw new Error('refused');
}

/** The rules of a pass's claims over the general decoder's map. */
function reference(payload: Uint8Array): PassClaims {
  const map = cborDecodeStrict(payload, 'BAD_CLAIMS');
  if (!(map instanceof Map)) bad();
  for (const key of map.keys()) if (typeof key !== 'number' || !CLAIM_NAMES.has(key)) bad();
  const holder: unknown = map.get(CLAIM.holder);
  if (map.size !== CLAIM_NAMES.size - (holder === undefined ? 1 : 0)) bad();
  if (holder !== undefined && !(holder instanceof Uint8Array && holder.length === 32)) bad();
  const issuer: unknown = map.get(CLAIM.iss);
  const times = [CLAIM.exp, CLAIM.nbf, CLAIM.iat].map((k): unknown => map.get(k));
  if (!isName(issuer)) bad();
  for (const t of times) if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) bad();
  const [expiresAt, notBefore, issuedAt] = times as number[];
  if (expiresAt! <= notBefore!) bad();
  const ids = [CLAIM.cti, CLAIM.rid].map((k) => {
    const v: unknown = map.get(k);
    if (!(v instanceof Uint8Array) || v.length < 16 || v.length > 32) bad();
    return Buffer.from(v).toString('hex');
  });
  if (ids[0] === ids[1]) bad();
  const colour: unknown = map.get(CLAIM.colour);
  if (colour !== 'green' && colour !== 'yellow' && colour !== 'red') bad();
  const rawScope: unknown = map.get(CLAIM.scope);
  let scope: Scope;
  if (rawScope === '*') scope = 'all';
  else if (Array.isArray(rawScope)) {
    if (rawScope.length === 0 || rawScope.length > 16 || !rawScope.every(isName)) bad();
    if (new Set(rawScope).size !== rawScope.length) bad();
    scope = rawScope;
  } else bad();
  return {
    issuer,
    passId: ids[0]!,
    revocationId: ids[1]!,
    colour,
    issuedAt: issuedAt!,
    notBefore: notBefore!,
    expiresAt: expiresAt!,
    scope,
    ...(holder === undefined ? {} : { holderKey: Buffer.from(holder as Uint8Array).toString('base64url') }),
  };
}

type Outcome = { claims: PassClaims } | { refused: string };

function run(f: () => PassClaims): Outcome {
  try {
    return { claims: f() };
  } catch (err) {
    return { refused: isProtocolError(err) ? err.code : `not a ProtocolError: ${String(err)}` };
  }
}

/** The decoder's outcome must be the reference's: the same claims, or BAD_CLAIMS where the reference refuses. */
function agree(payload: Uint8Array): Outcome {
  const mine = run(() => decodeClaims(payload));
  const theirs = run(() => reference(payload));
  if ('claims' in theirs) expect(mine).toEqual(theirs);
  else expect(mine).toEqual({ refused: 'BAD_CLAIMS' });
  return mine;
}

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/);
const id = fc.uint8Array({ minLength: 16, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const claims: fc.Arbitrary<PassClaims> = fc
  .record({
    issuer: name,
    passId: id,
    revocationId: id,
    colour: fc.constantFrom('green', 'yellow', 'red' as const),
    issuedAt: fc.nat(),
    notBefore: fc.nat({ max: 2 ** 40 }),
    life: fc.integer({ min: 1, max: 2 ** 40 }),
    scope: fc.oneof(fc.constant('all' as const), fc.uniqueArray(name, { minLength: 1, maxLength: 16 })),
    holderKey: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
  })
  .filter((c) => c.passId !== c.revocationId)
  .map(({ life, holderKey, ...c }) => ({
    ...c,
    expiresAt: c.notBefore + life,
    ...(holderKey === undefined ? {} : { holderKey: Buffer.from(holderKey).toString('base64url') }),
  }));

// Near the edges of the rules, for each claim in turn.
const EDGE_VALUES: unknown[] = [
  'a'.repeat(32),
  'a'.repeat(33),
  '',
  '-a',
  '9',
  'a b',
  'gåte',
  '*',
  'green',
  'yellow',
  'red',
  'blue',
  ['gate', 'gate'],
  ['gate', 'Gate'],
  ['a'.repeat(32)],
  ['a'.repeat(33)],
  Array.from({ length: 16 }, (_, i) => `s${i}`),
  Array.from({ length: 17 }, (_, i) => `s${i}`),
  [],
  [['gate']],
  new Uint8Array(15),
  new Uint8Array(16).fill(7),
  new Uint8Array(16).fill(0x22), // the revocation id's bytes
  new Uint8Array(31),
  new Uint8Array(32).fill(9),
  new Uint8Array(33),
  Number.MAX_SAFE_INTEGER,
  2 ** 53,
  1.5,
  0,
  1,
  -1,
  true,
  null,
  new Map([[1, 2]]),
];

// Values of every CBOR kind, allowed in claims or not.
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.maxSafeNat(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  name,
  fc.constantFrom('green', 'yellow', 'red', '*', 'Green'),
  fc.uint8Array({ maxLength: 40 }),
  fc.array(fc.oneof(name, fc.integer(), fc.uint8Array({ maxLength: 4 })), { maxLength: 18 }),
  fc.constantFrom(...EDGE_VALUES),
);
const anyKey = fc.oneof(
  fc.constantFrom(...CLAIM_NAMES.keys()),
  fc.constantFrom(...CLAIM_NAMES.keys()),
  fc.constantFrom(0, 2, 3, 8, -1, -65536, -65541, 65537),
  fc.integer(),
  fc.string({ maxLength: 3 }),
);

describe('decodeClaims', () => {
  it('decodes what encodeClaims writes, as the general decoder and the rules do', () => {
    fc.assert(
      fc.property(claims, (c) => {
        const out = agree(encodeClaims(c));
        expect(out).toEqual({ claims: c });
        if ('claims' in out) expect(Object.isFrozen(out.claims)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes the payload where it lies in a larger buffer, reading nothing outside it', () => {
    fc.assert(
      fc.property(claims, fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 80 }), (c, before, after) => {
        const payload = encodeClaims(c);
        const buffer = Uint8Array.from([...before, ...payload, ...after]);
        expect(decodeClaims(buffer, before.length, before.length + payload.length)).toEqual(c);
        // Cut one byte short, the bytes after it must not complete it.
        expect(run(() => decodeClaims(buffer, before.length, before.length + payload.length - 1))).toEqual({
          refused: 'BAD_CLAIMS',
        });
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with the reference on each claim set to each value near the edges of the rules', () => {
    const c: PassClaims = {
      issuer: 'acme',
      passId: '11'.repeat(16),
      revocationId: '22'.repeat(16),
      colour: 'green',
      issuedAt: 1,
      notBefore: 1,
      expiresAt: 2,
      scope: ['north-gate'],
    };
    const outcomes = new Set<string>();
    for (const key of CLAIM_NAMES.keys()) {
      for (const value of EDGE_VALUES) {
        const map = cborDecodeStrict(encodeClaims(c)) as Map<unknown, unknown>;
        map.set(key, value);
        // The expiry moved past the largest start time tried, so that the times' rule is tested on its own.
        if (key !== CLAIM.exp) map.set(CLAIM.exp, Number.MAX_SAFE_INTEGER);
        const out = agree(cborEncode(map));
        outcomes.add('claims' in out ? `${key} accepted` : `${key} refused`);
      }
    }
    // Every claim has values accepted and values refused among those tried.
    for (const key of CLAIM_NAMES.keys())
      expect([...outcomes]).toEqual(expect.arrayContaining([`${key} accepted`, `${key} refused`]));
  });

  it('refuses what the reference refuses when claims are added, removed, replaced or repeated', () => {
    fc.assert(
      fc.property(
        claims,
        fc.array(fc.tuple(fc.nat(12), anyKey, anyValue), { minLength: 1, maxLength: 3 }),
        (c, edits) => {
          const map = cborDecodeStrict(encodeClaims(c)) as Map<unknown, unknown>;
          for (const [op, key, value] of edits) {
            if (op < 6) map.set(key, value);
            else if (op < 8) map.delete([...map.keys()][op % map.size]);
            else map.set([...map.keys()][op % map.size], value);
          }
          agree(cborEncode(map));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses what the reference refuses when bytes are changed, cut, inserted or repeated', () => {
    fc.assert(
      fc.property(
        claims,
        fc.array(fc.tuple(fc.nat(3), fc.nat(400), fc.nat(255)), { minLength: 1, maxLength: 3 }),
        (c, edits) => {
          const bytes = [...encodeClaims(c)];
          for (const [op, at, value] of edits) {
            const i = at % (bytes.length + 1);
            if (op === 0 && i < bytes.length) bytes[i] = value;
            else if (op === 1) bytes.splice(i, 1);
            else if (op === 2) bytes.splice(i, 0, value);
            else bytes.length = i;
          }
          agree(Uint8Array.from(bytes));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses repeated and reordered claims, non-shortest keys and heads, and bytes after the map', () => {
    const c: PassClaims = {
      issuer: 'acme',
      passId: '11'.repeat(16),
      revocationId: '22'.repeat(16),
      colour: 'green',
      issuedAt: 1,
      notBefore: 1,
      expiresAt: 2,
      scope: ['north-gate'],
    };
    const good = encodeClaims(c);
    expect(agree(good)).toEqual({ claims: c });
    const hex = Buffer.from(good).toString('hex');
    const cases = [
      // The issuer claim (01 64 "acme") repeated, the map's count raised to match.
      hex.replace('016461636d65', '016461636d65016461636d65').replace(/^a8/, 'a9'),
      hex.replace(/^a8/, 'b808'), // the map's head in two bytes
      hex.replace('0164', '180164'), // key 1 written in two bytes
      hex + '00', // a byte after the map
      hex.replace('0402', '041b0020000000000000'), // an expiry of 2^53, beyond the safe integers
      hex.replace('0402', '04c102'), // a tagged expiry
      hex.replace('0402', '04f93c00'), // an expiry as a half float
      hex.replace(/^a8/, 'bf') + 'ff', // an indefinite map
      hex.replace('016461636d65', '01646163c328'), // invalid UTF-8 in the issuer
      hex.slice(0, -2), // cut short
    ];
    // The largest safe integer as an expiry is a time like any other.
    expect(agree(Uint8Array.from(Buffer.from(hex.replace('0402', '041b001fffffffffffff'), 'hex')))).toMatchObject({
      claims: { expiresAt: Number.MAX_SAFE_INTEGER },
    });
    for (const h of cases) {
      expect(h).not.toBe(hex);
      expect(agree(Uint8Array.from(Buffer.from(h, 'hex')))).toEqual({ refused: 'BAD_CLAIMS' });
    }
  });

  it('reads the three colours and refuses every near miss, as the reference does', () => {
    const base = {
      issuer: 'acme',
      passId: '11'.repeat(16),
      revocationId: '22'.repeat(16),
      issuedAt: 1,
      notBefore: 1,
      expiresAt: 2,
      scope: 'all' as const,
    };
    for (const colour of ['green', 'yellow', 'red'] as const) {
      expect(agree(encodeClaims({ ...base, colour }))).toEqual({ claims: { ...base, colour } });
    }
    const hex = Buffer.from(encodeClaims({ ...base, colour: 'green' })).toString('hex');
    const greenText = '65' + Buffer.from('green').toString('hex'); // text(5) "green"
    expect(hex).toContain(greenText);
    const nearMisses = [
      '',
      'r',
      're',
      'rod',
      'Red',
      'gree',
      'greem',
      'Green',
      'green\u0000',
      'greens',
      'yelloW',
      'yellow!',
    ];
    nearMisses.push('blue', 'red ', ' red', 'yello', 'reddish', 'yellowish', 'g', 'gr\u00e9en');
    for (const word of nearMisses) {
      const bytes = Buffer.from(word, 'utf8');
      const text = (0x60 + bytes.length).toString(16) + bytes.toString('hex');
      expect(agree(Uint8Array.from(Buffer.from(hex.replace(greenText, text), 'hex')))).toEqual({
        refused: 'BAD_CLAIMS',
      });
    }
    // A colour as a byte string, or in a two-byte head, is not a colour either.
    for (const text of ['45' + greenText.slice(2), '7805' + greenText.slice(2)]) {
      expect(agree(Uint8Array.from(Buffer.from(hex.replace(greenText, text), 'hex')))).toEqual({
        refused: 'BAD_CLAIMS',
      });
    }
  });
});
