// The holder vectors: holder-bound passes as a wallet shows them (GH1: proof + pass), each signed for real with the
// fixed test keys, and the verdict a gate gives at a stated moment. A printed pass (no holder key) stays valid bare.
import { createHash } from 'node:crypto';
import type { PassClaims, Scope } from '../../protocol/index.js';
import { encodePublicKey, issuePass } from '../../protocol/index.js';
import {
  HOLDER_PREFIX,
  presentHolderPass,
  presentationText,
  proofMessage,
  proofStep,
} from '../../protocol/holder/proof.js';
import { sign as edSign } from 'node:crypto';
import { testKey } from './fixed-keys.js';
import { HOUR, DAY, SITE, T0_S } from './pass-vectors.js';
import type { PassVector } from './pass-vectors.js';

export interface HolderVector extends PassVector {
  readonly context: PassVector['context'] & {
    /** Gate setting: seconds a proof's step may be from now (default 30). */
    readonly proofWindowSeconds?: number;
    /** Steps this gate already accepted for the pass (a replay guard's memory). */
    readonly acceptedSteps?: readonly number[];
  };
}

function id(what: string): string {
  return createHash('sha256').update(`holder-${what}`).digest('hex').slice(0, 32);
}

function claims(n: string, holderKey: string | undefined): PassClaims {
  return {
    issuer: 'acme-events',
    passId: id(`pass-${n}`),
    revocationId: id(`revocation-${n}`),
    colour: 'green',
    issuedAt: T0_S - HOUR,
    notBefore: T0_S - HOUR,
    expiresAt: T0_S + 30 * DAY,
    scope: 'all' as Scope,
    ...(holderKey === undefined ? {} : { holderKey }),
  };
}

export function holderVectors(): HolderVector[] {
  const issuer = testKey('issuer');
  const holder = testKey('holder');
  const other = testKey('otherHolder');
  const holderKey = encodePublicKey(holder.publicKey);
  const bound = claims('1', holderKey);
  const pass = issuePass(bound, issuer).text;
  const second = claims('2', holderKey);
  const secondPass = issuePass(second, issuer).text;
  const printed = claims('3', undefined);
  const printedPass = issuePass(printed, issuer).text;
  const now = T0_S;
  const ctx = { now, site: SITE };
  const shown = (at: number, key = holder.privateKey): string => presentHolderPass(pass, bound.passId, at, key);
  const ok = (title: string, text: string, c: PassClaims, context: HolderVector['context'] = ctx): HolderVector => ({
    title,
    text,
    context,
    expected: { colour: 'green', reason: 'OK', action: 'open', claims: c },
  });
  const fail = (title: string, text: string, reason: string, context: HolderVector['context'] = ctx): HolderVector => ({
    title,
    text,
    context,
    expected: { colour: 'red', reason, action: 'deny', claims: null },
  });
  // A proof that says it is for the second pass (its tag), signed over the second pass id, shown with the first.
  const step = proofStep(now);
  const forSecond = new Uint8Array(edSign(null, proofMessage(second.passId, step), holder.privateKey));
  const proofOfSecond = presentationText(secondPass, second.passId, step, forSecond).slice(0, 4 + 108);
  return [
    ok('holder-bound pass with a live proof', shown(now), bound),
    ok('holder-bound pass, proof 30 s old: at the window edge', shown(now - 30), bound),
    ok('holder-bound pass, proof 30 s ahead: at the window edge', shown(now + 30), bound),
    ok('printed (unbound) pass shown bare stays valid', printedPass, printed),
    ok('holder-bound pass, 2-minute-old proof, window set to 180 s', shown(now - 120), bound, {
      ...ctx,
      proofWindowSeconds: 180,
    }),
    fail('holder-bound pass shown without a proof (a printout)', pass, 'PROOF_MISSING'),
    fail('holder-bound pass, proof 2 minutes old (a screenshot)', shown(now - 120), 'PROOF_STALE'),
    fail('holder-bound pass, proof 35 s old: one step past the window', shown(now - 35), 'PROOF_STALE'),
    fail('holder-bound pass, proof an hour ahead', shown(now + HOUR), 'PROOF_FUTURE'),
    fail('holder-bound pass, proof signed by another key', shown(now, other.privateKey), 'PROOF_WRONG_KEY'),
    fail('proof made for another pass of the same holder', proofOfSecond + pass, 'PROOF_WRONG_PASS'),
    fail(
      'proof tag of this pass but signed over another pass id',
      presentationText(pass, bound.passId, step, forSecond),
      'PROOF_WRONG_KEY',
    ),
    fail('same step already accepted at this gate (replay)', shown(now), 'PROOF_REPLAYED', {
      ...ctx,
      acceptedSteps: [step],
    }),
    fail('an older step than one already accepted (replay)', shown(now - 10), 'PROOF_REPLAYED', {
      ...ctx,
      acceptedSteps: [step],
    }),
    fail(
      'a proof in front of a printed pass',
      presentHolderPass(printedPass, printed.passId, now, holder.privateKey),
      'PROOF_UNEXPECTED',
    ),
    fail('proof cut short', shown(now).slice(0, 60), 'MALFORMED'),
    fail('proof with a character outside base45', HOLDER_PREFIX + 'a' + shown(now).slice(5), 'BAD_ENCODING'),
    fail('holder pass over 483 characters', HOLDER_PREFIX + '0'.repeat(480), 'TOO_LARGE'),
    fail(
      'the pass behind a live proof forged (signature byte changed)',
      shown(now).slice(0, -2) + (shown(now).endsWith('00') ? '11' : '00'),
      'BAD_SIGNATURE',
    ),
  ];
}
