// Makes test/vectors/vectors.json from the fixed test keys. Run: npx tsx test/vectors/make-vectors.ts
// Ed25519 signatures are deterministic, so the output is the same on every run; test/vectors/vectors.test.ts
// checks that the committed file still equals what this script makes, and that every vector verifies as stated.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodePublicKey, kidFor, rootFingerprint, signBundle } from '../../protocol/index.js';
import { bundleVectors, revocationVectors } from './doc-vectors.js';
import type { BundleVector, RevocationVector } from './doc-vectors.js';
import { freshnessVectors } from './freshness-vectors.js';
import type { FreshnessVector } from './freshness-vectors.js';
import { seedFor, TEST_KEYS, testKey } from './fixed-keys.js';
import { holderVectors } from './holder-vectors.js';
import type { HolderVector } from './holder-vectors.js';
import { mainBundle, passVectors } from './pass-vectors.js';
import type { PassVector } from './pass-vectors.js';

export interface VectorFile {
  readonly description: string;
  readonly keys: Record<string, { seed: string; issuer: string; publicKey: string; kid: string }>;
  readonly rootPublicKey: string;
  readonly rootFingerprint: string;
  /** The signed trust bundle every pass vector is verified against (base64). */
  readonly bundle: string;
  readonly passes: readonly PassVector[];
  readonly bundles: readonly BundleVector[];
  readonly revocations: readonly RevocationVector[];
  readonly freshness: readonly FreshnessVector[];
  /** Holder-bound passes as a wallet shows them (proof + pass). */
  readonly holder: readonly HolderVector[];
}

export function makeVectors(): VectorFile {
  const keys: VectorFile['keys'] = {};
  for (const name of Object.keys(TEST_KEYS) as (keyof typeof TEST_KEYS)[]) {
    const k = testKey(name);
    keys[name] = {
      seed: Buffer.from(seedFor(TEST_KEYS[name].seed)).toString('hex'),
      issuer: k.issuer,
      publicKey: encodePublicKey(k.publicKey),
      kid: kidFor(k.publicKey),
    };
  }
  const root = testKey('root');
  return {
    description: 'gatecode protocol test vectors. TEST KEYS ONLY: the seeds are public. Times are epoch seconds.',
    keys,
    rootPublicKey: encodePublicKey(root.publicKey),
    rootFingerprint: rootFingerprint(root.publicKey),
    bundle: Buffer.from(signBundle(mainBundle(), root)).toString('base64'),
    passes: passVectors(),
    bundles: bundleVectors(),
    revocations: revocationVectors(),
    freshness: freshnessVectors(),
    holder: holderVectors(),
  };
}

export const VECTORS_FILE = fileURLToPath(new URL('./vectors.json', import.meta.url));

export function vectorsJson(): string {
  return JSON.stringify(makeVectors(), null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(VECTORS_FILE, vectorsJson());
  console.log(`wrote ${VECTORS_FILE}`);
}
