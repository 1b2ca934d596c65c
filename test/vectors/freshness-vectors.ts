// Freshness statement vectors, signed for real with the fixed test keys.
import { encode } from 'cborg';
import { signFreshness, signRevocations } from '../../protocol/index.js';
import type { FreshnessStatement } from '../../protocol/index.js';
import { CTY_FRESHNESS } from '../../protocol/internal/document.js';
import { craftCose, defaultHeader } from './craft.js';
import { OTHER_LOG_ID, TEST_LOG_ID, testKey } from './fixed-keys.js';
import type { TestKeyName } from './fixed-keys.js';
import { mainBundle, T0_S } from './pass-vectors.js';

export interface FreshnessVector {
  readonly title: string;
  /** base64 */
  readonly bytes: string;
  /** The revocation sequence held (the held bundle is the vector file's bundle). */
  readonly currentSeq?: number;
  /** The history the held sequence belongs to. */
  readonly logId?: string;
  /** The key whose signature should verify (for the tweetnacl cross-check of accepted vectors). */
  readonly signer?: TestKeyName;
  readonly expected: { readonly reason: string; readonly statement?: FreshnessStatement };
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

export function freshnessVectors(): FreshnessVector[] {
  const root = testKey('root');
  const version = mainBundle().version;
  const stmt: FreshnessStatement = { issuedAt: T0_S + 120, logId: TEST_LOG_ID, bundleVersion: version, revocationSeq: 4 };
  const ok = { reason: 'OK', statement: stmt };
  const crafted = (payload: Map<string, unknown>, key = root): string =>
    b64(craftCose({ key, header: defaultHeader(root, CTY_FRESHNESS), payload: encode(payload) }));
  const payload = (): Map<string, unknown> =>
    new Map<string, unknown>([
      ['issuedAt', stmt.issuedAt],
      ['logId', Buffer.from(stmt.logId, 'hex')],
      ['bundleVersion', stmt.bundleVersion],
      ['revocationSeq', stmt.revocationSeq],
    ]);
  return [
    {
      title: 'signed by the root, for the data held',
      bytes: b64(signFreshness(stmt, root)),
      currentSeq: 4,
      signer: 'root',
      expected: ok,
    },
    {
      title: 'signed by the bundle revocation key',
      bytes: b64(signFreshness(stmt, testKey('revocation'))),
      currentSeq: 4,
      signer: 'revocation',
      expected: ok,
    },
    {
      title: 'for newer data than held (verifies; not recorded by a device)',
      bytes: b64(signFreshness(stmt, root)),
      currentSeq: 3,
      signer: 'root',
      expected: ok,
    },
    {
      title: 'for an older sequence than held',
      bytes: b64(signFreshness(stmt, root)),
      currentSeq: 5,
      expected: { reason: 'VERSION_ROLLBACK' },
    },
    {
      title: 'for an older bundle version than held',
      bytes: b64(signFreshness({ ...stmt, bundleVersion: version - 1 }, root)),
      currentSeq: 4,
      expected: { reason: 'VERSION_ROLLBACK' },
    },
    {
      title: 'for an older sequence of another history (verifies; not recorded by a device)',
      bytes: b64(signFreshness({ ...stmt, logId: OTHER_LOG_ID, revocationSeq: 2 }, root)),
      currentSeq: 4,
      logId: TEST_LOG_ID,
      signer: 'root',
      expected: { ...ok, statement: { ...stmt, logId: OTHER_LOG_ID, revocationSeq: 2 } },
    },
    {
      title: 'no log id',
      bytes: crafted(
        (() => {
          const m = payload();
          m.delete('logId');
          return m;
        })(),
      ),
      currentSeq: 4,
      expected: { reason: 'BAD_CLAIMS' },
    },
    {
      title: 'signed by another root',
      bytes: b64(signFreshness(stmt, testKey('otherRoot'))),
      currentSeq: 4,
      expected: { reason: 'UNKNOWN_KEY' },
    },
    {
      title: "another key's signature under the root kid",
      bytes: crafted(payload(), testKey('stranger')),
      currentSeq: 4,
      expected: { reason: 'BAD_SIGNATURE' },
    },
    {
      title: 'a revocation list in its place',
      bytes: b64(
        signRevocations(
          { kind: 'snapshot', logId: TEST_LOG_ID, fromSeq: 0, toSeq: 4, issuedAt: T0_S, added: [], removed: [] },
          root,
        ),
      ),
      currentSeq: 4,
      expected: { reason: 'MALFORMED' },
    },
    {
      title: 'an extra field',
      bytes: crafted(payload().set('validFor', 60)),
      currentSeq: 4,
      expected: { reason: 'BAD_CLAIMS' },
    },
    {
      title: 'bundle version 0',
      bytes: crafted(payload().set('bundleVersion', 0)),
      currentSeq: 4,
      expected: { reason: 'BAD_CLAIMS' },
    },
  ];
}
