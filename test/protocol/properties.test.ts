// Property tests: whatever arrives — random text, random bytes, a valid pass with a bit flipped, cut short,
// extended, or with a character outside base45, or something huge — verification ends in a ProtocolError and
// never in another exception, never in green.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluatePass,
  inspectPass,
  isProtocolError,
  issuePass,
  signBundle,
  signRevocations,
  verifyBundle,
  verifyPass,
  verifyRevocations,
} from '../../protocol/index.js';
import type { VerifyContext } from '../../protocol/index.js';
import { base45Decode, base45Encode } from '../../protocol/internal/base45.js';
import { TEST_LOG_ID, testKey } from '../vectors/fixed-keys.js';
import { DAY, mainBundle, SITE, T0_S } from '../vectors/pass-vectors.js';

const root = testKey('root');
const bundle = verifyBundle(signBundle(mainBundle(), root), root.publicKey);
const ctx: VerifyContext = { bundle, now: T0_S, site: SITE, isRevoked: () => false };
const valid = issuePass(
  { colour: 'green', notBefore: T0_S - 60, expiresAt: T0_S + DAY, issuedAt: T0_S - 60, scope: ['north-gate', 'south-gate'] },
  testKey('issuer'),
).text;
const validBytes = base45Decode(valid.slice(4));
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** verifyPass must throw a ProtocolError; evaluatePass must give red (never throw, never green). */
function assertRejected(text: string): void {
  let thrown: unknown = null;
  try {
    verifyPass(text, ctx);
  } catch (err) {
    thrown = err;
  }
  expect(isProtocolError(thrown), `not a ProtocolError: ${String(thrown)}`).toBe(true);
  const verdict = evaluatePass(text, ctx);
  expect(verdict.colour).toBe('red');
  expect(verdict.reason).not.toBe('OK');
  // inspect may decode it or refuse it, but only with a ProtocolError.
  try {
    inspectPass(text);
  } catch (err) {
    expect(isProtocolError(err)).toBe(true);
  }
}

const RUNS = 1500;

describe('pass verification under hostile input', () => {
  it('the unmutated pass is green (so the properties below are not vacuous)', () => {
    expect(evaluatePass(valid, ctx).colour).toBe('green');
  });

  it('random strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (s) => assertRejected(s)),
      { numRuns: RUNS },
    );
  });

  it('random base45 after the prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...B45), maxLength: 400 }), (s) => assertRejected('GC1:' + s)),
      { numRuns: RUNS },
    );
  });

  it('random bytes, base45-encoded after the prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 260 }), (b) => assertRejected('GC1:' + base45Encode(b))),
      { numRuns: RUNS },
    );
  });

  it('random bytes behind a valid COSE tag and array header', () => {
    const head = validBytes.subarray(0, 2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 250 }), (b) =>
        assertRejected('GC1:' + base45Encode(Uint8Array.from([...head, ...b]))),
      ),
      { numRuns: RUNS },
    );
  });

  it('one or more bit flips in the COSE bytes', () => {
    const flips = fc.array(fc.tuple(fc.nat(validBytes.length - 1), fc.nat(7)), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(flips, (list) => {
        const b = Uint8Array.from(validBytes);
        for (const [i, bit] of list) b[i]! ^= 1 << bit;
        fc.pre(Buffer.compare(Buffer.from(b), Buffer.from(validBytes)) !== 0);
        assertRejected('GC1:' + base45Encode(b));
      }),
      { numRuns: RUNS },
    );
  });

  it('truncation of the text or of the bytes', () => {
    fc.assert(
      fc.property(fc.nat(valid.length - 1), (n) => assertRejected(valid.slice(0, n))),
      { numRuns: valid.length },
    );
    fc.assert(
      fc.property(fc.nat(validBytes.length - 1), (n) =>
        assertRejected('GC1:' + base45Encode(validBytes.subarray(0, n))),
      ),
      { numRuns: validBytes.length },
    );
  });

  it('extension with characters or bytes', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (s) => assertRejected(valid + s)),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (b) =>
        assertRejected('GC1:' + base45Encode(Uint8Array.from([...validBytes, ...b]))),
      ),
      { numRuns: RUNS },
    );
  });

  it('one character replaced (inside or outside the base45 alphabet)', () => {
    const anyChar = fc.oneof(
      fc.constantFrom(...B45),
      fc.string({ minLength: 1, maxLength: 1 }),
      fc.constantFrom('a', 'z', '\u0000', 'é', '\u{1F600}'),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length - 1 }), anyChar, (i, c) => {
        fc.pre(valid[i] !== c);
        assertRejected(valid.slice(0, i) + c + valid.slice(i + 1));
      }),
      { numRuns: RUNS },
    );
  });

  it('huge input is refused by size before anything is decoded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 2_000_000 }), (n) => {
        const text = valid + 'A'.repeat(n - valid.length);
        assertRejected(text);
        expect(evaluatePass(text, ctx).reason).toBe('TOO_LARGE');
      }),
      { numRuns: 20 },
    );
  });
});

describe('bundles and revocation lists under hostile input', () => {
  const bundleBytes = signBundle(mainBundle(), root);
  const revBytes = signRevocations(
    {
      kind: 'delta',
      logId: TEST_LOG_ID,
      fromSeq: 1,
      toSeq: 2,
      issuedAt: T0_S,
      added: [{ revocationId: 'ab'.repeat(16), expiresAt: T0_S + DAY }],
      removed: [],
    },
    root,
  );
  const expectProtocolError = (f: () => unknown): void => {
    try {
      f();
    } catch (err) {
      expect(isProtocolError(err), String(err)).toBe(true);
      return;
    }
    expect.fail('accepted');
  };

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        expectProtocolError(() => verifyBundle(b, root.publicKey));
        expectProtocolError(() => verifyRevocations(b, { rootPublicKey: root.publicKey, bundle }));
      }),
      { numRuns: RUNS },
    );
  });

  it('bit flips, truncation and extension of signed documents', () => {
    const mutate = (src: Uint8Array) =>
      fc.oneof(
        fc.tuple(fc.nat(src.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
          const b = Uint8Array.from(src);
          b[i]! ^= x;
          return b;
        }),
        fc.nat(src.length - 1).map((n) => src.subarray(0, n)),
        fc.uint8Array({ minLength: 1, maxLength: 16 }).map((e) => Uint8Array.from([...src, ...e])),
      );
    fc.assert(
      fc.property(mutate(bundleBytes), (b) => expectProtocolError(() => verifyBundle(b, root.publicKey))),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(mutate(revBytes), (b) =>
        expectProtocolError(() => verifyRevocations(b, { rootPublicKey: root.publicKey, bundle })),
      ),
      { numRuns: RUNS },
    );
  });
});
