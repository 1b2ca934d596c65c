// The mutators and the loop of bench:fuzz, run in each worker. Deterministic for a given seed.
import { encode } from 'cborg';
import {
  evaluatePass,
  encodePublicKey,
  isProtocolError,
  issuePass,
  signBundle,
  signRevocations,
  verifyBundle,
  verifyRevocations,
} from '../protocol/index.js';
import type { SigningKey, TrustBundle, VerifyContext } from '../protocol/index.js';
import { base45Decode, base45Encode } from '../protocol/internal/base45.js';
import { cborDecodeStrict } from '../protocol/internal/cbor.js';
import { parseSign1 } from '../protocol/internal/cose.js';
import { generateSigningKey } from '../protocol/keys.js';
/** Any fixed history id: the cases are about bytes, not histories. */
const LOG_ID = '00112233445566778899aabbccddeeff';

export interface FuzzResult {
  payloads: number;
  documents: number;
  crashes: number;
  accepts: number;
  reasons: Record<string, number>;
  examples: string[];
}

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const ODD_CHARS = ['a', 'z', '\u0000', '\n', 'é', '\u{1F600}', '\uFFFF', '\uD800', '"', '\\'];

export function runFuzz(count: number, seed: number): FuzzResult {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const bytesOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));
  const now = 1_800_000_000;
  const root = generateSigningKey('fuzz-root');
  const keys: SigningKey[] = [generateSigningKey('acme-events'), generateSigningKey('other-org')];
  const bundle: TrustBundle = verifyBundle(
    signBundle(
      {
        version: 1,
        issuedAt: now - 100,
        sunset: now + 86_400 * 365,
        policy: { actions: { green: 'open', yellow: 'attention', red: 'deny' }, maxOfflineAgeSeconds: 3600 },
        issuers: keys.map((k) => ({
          kid: k.kid,
          issuer: k.issuer,
          publicKey: encodePublicKey(k.publicKey),
          validFrom: now - 86_400,
          validUntil: now + 86_400,
          status: 'active' as const,
        })),
        revocationKeys: [],
      },
      root,
    ),
    root.publicKey,
  );
  const ctx: VerifyContext = { bundle, now, site: 'gate-1', isRevoked: () => false, trustDataAt: now };
  const seeds = Array.from(
    { length: 64 },
    (_, i) =>
      issuePass(
        {
          colour: 'green',
          issuedAt: now - 10,
          notBefore: now - 10,
          expiresAt: now + 3600 + i,
          scope: i % 2 ? 'all' : ['gate-1', `gate-${i}`],
        },
        keys[i % 2]!,
      ).text,
  );
  const seedSet = new Set(seeds);
  const seedBytes = seeds.map((s) => base45Decode(s.slice(4)));

  const flip = (b: Uint8Array): Uint8Array => {
    const c = Uint8Array.from(b);
    const n = 1 + int(4);
    for (let i = 0; i < n; i++) c[int(c.length)]! ^= 1 << int(8);
    return c;
  };
  const mutators: ((i: number) => string)[] = [
    (i) => 'GC1:' + base45Encode(flip(seedBytes[i]!)),
    (i) => {
      const b = seedBytes[i]!;
      const c = Uint8Array.from(b);
      c[int(c.length)] = int(256);
      return 'GC1:' + base45Encode(c);
    },
    (i) => 'GC1:' + base45Encode(seedBytes[i]!.subarray(0, int(seedBytes[i]!.length))),
    (i) => 'GC1:' + base45Encode(Uint8Array.from([...seedBytes[i]!, ...bytesOf(1 + int(16))])),
    (i) => {
      const b = seedBytes[i]!;
      const at = int(b.length);
      return 'GC1:' + base45Encode(Uint8Array.from([...b.subarray(0, at), ...bytesOf(1 + int(4)), ...b.subarray(at)]));
    },
    (i) => {
      const b = seedBytes[i]!;
      const at = int(b.length);
      return 'GC1:' + base45Encode(Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + int(4))]));
    },
    (i) => {
      const s = seeds[i]!;
      const at = int(s.length);
      const c = rnd() < 0.7 ? B45[int(45)]! : ODD_CHARS[int(ODD_CHARS.length)]!;
      return s.slice(0, at) + c + s.slice(at + 1);
    },
    (i) => seeds[i]!.slice(0, int(seeds[i]!.length)),
    (i) => seeds[i]! + B45[int(45)]!.repeat(1 + int(3)),
    () => 'GC1:' + base45Encode(bytesOf(int(270))),
    () => 'GC1:' + Array.from({ length: int(400) }, () => B45[int(45)]).join(''),
    // A valid envelope from one pass with the payload of another (signature and kid no longer match).
    (i) => {
      const a = parseSign1(seedBytes[i]!);
      const b = parseSign1(seedBytes[(i + 1 + int(63)) % 64]!);
      return (
        'GC1:' + base45Encode(Uint8Array.from([0xd2, ...encode([a.protectedBytes, new Map(), b.payload, a.signature])]))
      );
    },
    // A claim changed to another well-formed value, re-encoded canonically, the old signature kept.
    (i) => {
      const cose = parseSign1(seedBytes[i]!);
      const claims = new Map(cborDecodeStrict(cose.payload) as Map<unknown, unknown>);
      const keysOf = [...claims.keys()];
      const k = keysOf[int(keysOf.length)];
      const choices: unknown[] = ['green', 'all', now + 1e6, 0, [`gate-1`], new Uint8Array(16), 'x'];
      claims.set(k, choices[int(choices.length)]);
      if (rnd() < 0.2) claims.set(-65540 - int(5), 'extra');
      return (
        'GC1:' +
        base45Encode(
          Uint8Array.from([0xd2, ...encode([cose.protectedBytes, new Map(), encode(claims), cose.signature])]),
        )
      );
    },
    (i) => (rnd() < 0.01 ? seeds[i]! + 'A'.repeat(1 + int(2_000_000)) : 'gc1:' + seeds[i]!.slice(4)),
  ];

  const result: FuzzResult = { payloads: 0, documents: 0, crashes: 0, accepts: 0, reasons: {}, examples: [] };
  const note = (what: string): void => {
    if (result.examples.length < 10) result.examples.push(what);
  };
  // Exactly `count` mutated passes are evaluated: inputs a mutator could not build or that equal a seed do not count.
  while (result.payloads < count) {
    const i = int(64);
    let text: string;
    try {
      text = mutators[int(mutators.length)]!(i);
    } catch {
      continue; // a mutator could not build its input (e.g. an empty subarray); not a verifier outcome
    }
    if (seedSet.has(text)) continue; // an identity mutation is not a mutation
    result.payloads++;
    try {
      const v = evaluatePass(text, ctx);
      result.reasons[v.reason] = (result.reasons[v.reason] ?? 0) + 1;
      if (v.reason === 'OK' || v.colour === 'green') {
        result.accepts++;
        note(`accepted: ${text.slice(0, 80)}`);
      }
    } catch (err) {
      result.crashes++;
      note(`crash: ${String(err).slice(0, 120)}`);
    }
  }

  // Signed documents: a smaller share of mutated bundles and revocation lists.
  const bundleBytes = signBundle({ ...bundle, version: 2 }, root);
  const revBytes = signRevocations(
    {
      kind: 'delta',
      logId: LOG_ID,
      fromSeq: 1,
      toSeq: 2,
      issuedAt: now,
      added: [{ revocationId: 'ab'.repeat(16), expiresAt: now + 10 }],
      removed: [],
    },
    root,
  );
  const docs = Math.ceil(count / 20);
  for (let n = 0; n < docs; n++) {
    const src = n % 2 ? bundleBytes : revBytes;
    const m = int(3);
    const b =
      m === 0
        ? flip(src)
        : m === 1
          ? src.subarray(0, int(src.length))
          : Uint8Array.from([...src, ...bytesOf(1 + int(8))]);
    if (Buffer.compare(Buffer.from(b), Buffer.from(src)) === 0) continue; // flips that cancel out: not a mutation
    result.documents++;
    try {
      if (n % 2) verifyBundle(b, root.publicKey, { minVersion: 1 });
      else verifyRevocations(b, { rootPublicKey: root.publicKey, bundle, currentSeq: 1 });
      result.accepts++;
      note(`accepted document of ${b.length} bytes`);
    } catch (err) {
      if (!isProtocolError(err)) {
        result.crashes++;
        note(`document crash: ${String(err).slice(0, 120)}`);
      }
    }
  }
  return result;
}
