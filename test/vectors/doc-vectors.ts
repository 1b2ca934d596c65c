// Trust bundle and revocation list vectors, signed for real with the fixed test keys.
import { encode } from 'cborg';
import type { RevocationDelta } from '../../protocol/index.js';
import { signBundle, signRevocations } from '../../protocol/index.js';
import { CTY_BUNDLE, CTY_REVOCATIONS } from '../../protocol/internal/document.js';
import { craftCose, defaultHeader } from './craft.js';
import { OTHER_LOG_ID, TEST_LOG_ID, testKey } from './fixed-keys.js';
import type { TestKeyName } from './fixed-keys.js';
import { DAY, mainBundle, T0_S } from './pass-vectors.js';

export interface BundleVector {
  readonly title: string;
  /** base64 */
  readonly bytes: string;
  /** Instead of `bytes`: this many zero bytes (keeps the file small for the size-limit vector). */
  readonly zeroFill?: number;
  readonly minVersion?: number;
  readonly expected: { readonly reason: string; readonly version?: number };
}

export interface RevocationVector {
  readonly title: string;
  readonly bytes: string;
  readonly currentSeq?: number;
  /** The history the held sequence belongs to (verifyRevocations `logId`) and the held list's signed issue time. */
  readonly logId?: string;
  readonly currentIssuedAt?: number;
  /** The key whose signature should verify (for the tweetnacl cross-check of accepted vectors). */
  readonly signer?: TestKeyName;
  readonly expected: {
    readonly reason: string;
    readonly toSeq?: number;
    readonly added?: number;
    readonly removed?: number;
  };
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

function bundlePayloadWith(extra: [string, unknown] | null): Uint8Array {
  // Re-encode the signed main bundle's payload with one more field, through the wire form itself.
  const b = mainBundle();
  const m = new Map<string, unknown>([
    ['version', b.version],
    ['issuedAt', b.issuedAt],
    ['sunset', b.sunset],
    [
      'policy',
      new Map<string, unknown>([
        ['actions', new Map(Object.entries(b.policy.actions))],
        ['maxOfflineAgeSeconds', b.policy.maxOfflineAgeSeconds],
      ]),
    ],
    ['issuers', []],
    ['revocationKeys', []],
  ]);
  if (extra) m.set(extra[0], extra[1]);
  return encode(m);
}

export function bundleVectors(): BundleVector[] {
  const root = testKey('root');
  const bytes = signBundle(mainBundle(), root);
  const v: BundleVector[] = [];
  v.push({ title: 'valid bundle', bytes: b64(bytes), expected: { reason: 'OK', version: 7 } });
  v.push({
    title: 'valid bundle above the version held',
    bytes: b64(bytes),
    minVersion: 6,
    expected: { reason: 'OK', version: 7 },
  });
  v.push({ title: 'same version as held', bytes: b64(bytes), minVersion: 7, expected: { reason: 'VERSION_ROLLBACK' } });
  v.push({
    title: 'signed by another root',
    bytes: b64(signBundle(mainBundle(), testKey('otherRoot'))),
    expected: { reason: 'UNKNOWN_KEY' },
  });
  const forged = craftCose({
    key: testKey('otherRoot'),
    header: defaultHeader(root, CTY_BUNDLE),
    payload: bundlePayloadWith(null),
  });
  v.push({
    title: "another key's signature under the root kid",
    bytes: b64(forged),
    expected: { reason: 'BAD_SIGNATURE' },
  });
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length - 70]! ^= 1; // inside the payload
  v.push({ title: 'one payload bit flipped', bytes: b64(flipped), expected: { reason: 'BAD_SIGNATURE' } });
  const noCty = craftCose({ key: root, header: defaultHeader(root), payload: bundlePayloadWith(null) });
  v.push({ title: 'no content type (shaped like a pass)', bytes: b64(noCty), expected: { reason: 'MALFORMED' } });
  const wrongCty = craftCose({
    key: root,
    header: defaultHeader(root, CTY_REVOCATIONS),
    payload: bundlePayloadWith(null),
  });
  v.push({ title: 'revocation list content type', bytes: b64(wrongCty), expected: { reason: 'MALFORMED' } });
  const extra = craftCose({
    key: root,
    header: defaultHeader(root, CTY_BUNDLE),
    payload: bundlePayloadWith(['comment', 'x']),
  });
  v.push({ title: 'unknown field, correctly signed', bytes: b64(extra), expected: { reason: 'BAD_CLAIMS' } });
  v.push({
    title: 'larger than 64 KiB (65,537 zero bytes)',
    bytes: '',
    zeroFill: 64 * 1024 + 1,
    expected: { reason: 'TOO_LARGE' },
  });
  return v;
}

function delta(over: Partial<RevocationDelta>): RevocationDelta {
  return { kind: 'delta', logId: TEST_LOG_ID, fromSeq: 3, toSeq: 4, issuedAt: T0_S, added: [], removed: [], ...over };
}

const RID_A = 'aa'.repeat(16);
const RID_B = 'bb'.repeat(16);

export function revocationVectors(): RevocationVector[] {
  const root = testKey('root');
  const revKey = testKey('revocation');
  const d = delta({ added: [{ revocationId: RID_A, expiresAt: T0_S + 30 * DAY }], removed: [RID_B] });
  const v: RevocationVector[] = [];
  v.push({
    title: 'delta 3→4 signed by the root',
    bytes: b64(signRevocations(d, root)),
    currentSeq: 3,
    signer: 'root',
    expected: { reason: 'OK', toSeq: 4, added: 1, removed: 1 },
  });
  v.push({
    title: 'delta 3→4 signed by the bundle revocation key',
    bytes: b64(signRevocations(d, revKey)),
    currentSeq: 3,
    signer: 'revocation',
    expected: { reason: 'OK', toSeq: 4, added: 1, removed: 1 },
  });
  v.push({
    title: 'delta without a held sequence',
    bytes: b64(signRevocations(d, root)),
    signer: 'root',
    expected: { reason: 'OK', toSeq: 4, added: 1, removed: 1 },
  });
  const snap = {
    kind: 'snapshot' as const,
    logId: TEST_LOG_ID,
    fromSeq: 0,
    toSeq: 20,
    issuedAt: T0_S,
    added: [
      { revocationId: RID_A, expiresAt: T0_S + DAY },
      { revocationId: RID_B, expiresAt: T0_S + DAY },
    ],
    removed: [],
  };
  v.push({
    title: 'snapshot 0→20 for a device at 3',
    bytes: b64(signRevocations(snap, root)),
    currentSeq: 3,
    signer: 'root',
    expected: { reason: 'OK', toSeq: 20, added: 2, removed: 0 },
  });
  v.push({
    title: 'signed by an issuer key',
    bytes: b64(signRevocations(d, testKey('issuer'))),
    currentSeq: 3,
    expected: { reason: 'UNKNOWN_KEY' },
  });
  const forged = craftCose({
    key: testKey('stranger'),
    header: defaultHeader(root, CTY_REVOCATIONS),
    payload: new Uint8Array(8),
  });
  v.push({
    title: "another key's signature under the root kid",
    bytes: b64(forged),
    currentSeq: 3,
    expected: { reason: 'BAD_SIGNATURE' },
  });
  v.push({
    title: 'delta already held',
    bytes: b64(signRevocations(d, root)),
    currentSeq: 4,
    expected: { reason: 'VERSION_ROLLBACK' },
  });
  v.push({
    title: 'delta older than held',
    bytes: b64(signRevocations(d, root)),
    currentSeq: 9,
    expected: { reason: 'VERSION_ROLLBACK' },
  });
  v.push({
    title: 'delta starting after the held sequence',
    bytes: b64(signRevocations(delta({ fromSeq: 5, toSeq: 6 }), root)),
    currentSeq: 3,
    expected: { reason: 'SEQUENCE_GAP' },
  });
  const both = encode(
    new Map<string, unknown>([
      ['kind', 'delta'],
      ['logId', Buffer.from(TEST_LOG_ID, 'hex')],
      ['fromSeq', 3],
      ['toSeq', 4],
      ['issuedAt', T0_S],
      ['added', [[Buffer.from(RID_A, 'hex'), T0_S]]],
      ['removed', [Buffer.from(RID_A, 'hex')]],
    ]),
  );
  v.push({
    title: 'an id both added and removed',
    bytes: b64(craftCose({ key: root, header: defaultHeader(root, CTY_REVOCATIONS), payload: both })),
    currentSeq: 3,
    expected: { reason: 'BAD_CLAIMS' },
  });
  // History identity: sequence numbers compare only within one server history.
  const restored = { ...snap, logId: OTHER_LOG_ID, toSeq: 3, issuedAt: T0_S + 60 };
  v.push({
    title: 'snapshot of another history with a lower sequence (a restored server)',
    bytes: b64(signRevocations(restored, root)),
    currentSeq: 9,
    logId: TEST_LOG_ID,
    currentIssuedAt: T0_S,
    signer: 'root',
    expected: { reason: 'OK', toSeq: 3, added: 2, removed: 0 },
  });
  v.push({
    title: 'snapshot of another history older than the list held (a replay)',
    bytes: b64(signRevocations({ ...restored, issuedAt: T0_S - 60 }, root)),
    currentSeq: 9,
    logId: TEST_LOG_ID,
    currentIssuedAt: T0_S,
    expected: { reason: 'VERSION_ROLLBACK' },
  });
  v.push({
    title: 'delta of another history, continuing the held sequence number',
    bytes: b64(signRevocations(delta({ logId: OTHER_LOG_ID }), root)),
    currentSeq: 3,
    logId: TEST_LOG_ID,
    expected: { reason: 'HISTORY_CHANGED' },
  });
  const withLog = (logId: Uint8Array | null): Uint8Array => {
    const m = new Map<string, unknown>([
      ['kind', 'delta'],
      ['logId', logId],
      ['fromSeq', 3],
      ['toSeq', 4],
      ['issuedAt', T0_S],
      ['added', []],
      ['removed', []],
    ]);
    if (logId === null) m.delete('logId');
    return craftCose({ key: root, header: defaultHeader(root, CTY_REVOCATIONS), payload: encode(m) });
  };
  v.push({ title: 'no log id', bytes: b64(withLog(null)), currentSeq: 3, expected: { reason: 'BAD_CLAIMS' } });
  v.push({
    title: 'a log id of 15 bytes',
    bytes: b64(withLog(Buffer.alloc(15, 7))),
    currentSeq: 3,
    expected: { reason: 'BAD_CLAIMS' },
  });
  const bundleAsRevocations = signBundle(mainBundle(), root);
  v.push({
    title: 'a bundle offered as a revocation list',
    bytes: b64(bundleAsRevocations),
    currentSeq: 3,
    expected: { reason: 'MALFORMED' },
  });
  return v;
}
