// From a pass to a verdict: the pass's colour and the policy's action when valid, red/deny with the reason when not.
import { isProtocolError } from '../errors.js';
import type { Colour, Verdict, VerifyContext } from '../types.js';
import { checkPass, nodeSignatureCheck } from './verify.js';
import type { SignatureCheck } from './verify.js';

/**
 * A valid pass gives its own colour and the policy's action for it. Trust data older than the policy's maximum
 * offline age degrades the verdict to yellow with reason BUNDLE_STALE (a red pass stays red: staleness never
 * upgrades). Every other failure is red, action deny, with the failing reason.
 */
export function evaluatePass(text: string, ctx: VerifyContext): Verdict {
  return evaluatePassWith(text, ctx, nodeSignatureCheck);
}

/** evaluatePass with another signature check (tests and benchmarks cross-check node:crypto with tweetnacl). */
export function evaluatePassWith(text: string, ctx: VerifyContext, check: SignatureCheck): Verdict {
  try {
    const { claims, stale } = checkPass(text, ctx, check);
    const actions = ctx.bundle.policy.actions;
    if (!stale) return { colour: claims.colour, reason: 'OK', action: actions[claims.colour], claims };
    const colour: Colour = claims.colour === 'red' ? 'red' : 'yellow';
    return { colour, reason: 'BUNDLE_STALE', action: actions[colour], claims };
  } catch (err) {
    if (isProtocolError(err)) return { colour: 'red', reason: err.code, action: 'deny', claims: null };
    throw err;
  }
}
