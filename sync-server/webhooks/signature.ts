// The signature of a webhook delivery, as the receiver checks it. Stripe-like: the header
//   X-Gatecode-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 over "<t>.<raw body>" with the hook's secret>
// The timestamp is inside the MAC, so a captured delivery replayed later fails the tolerance window; the body is the
// raw bytes as received (parse the JSON only after the check). Pure: no I/O, the time is passed in.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Gatecode-Signature';
/** Default replay window: a delivery whose timestamp is further than this from the receiver's clock is refused. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type SignatureFailure = 'MALFORMED' | 'BAD_SIGNATURE' | 'TOO_OLD' | 'IN_FUTURE';
export type SignatureCheck = { readonly ok: true; readonly timestamp: number } | { readonly ok: false; readonly reason: SignatureFailure };

function mac(secret: string, timestamp: number, body: string | Uint8Array): string {
  const h = createHmac('sha256', secret);
  h.update(`${timestamp}.`);
  h.update(body);
  return h.digest('hex');
}

/** The header value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string | Uint8Array): string {
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

/**
 * Check a delivery: the header parses, one of its v1 signatures matches the raw body (constant-time), and its
 * timestamp is within `toleranceSeconds` of `nowSeconds`. The signature is checked before the time, so a forged
 * header never learns anything about the window.
 */
export function verifyWebhook(
  secret: string,
  header: string | null | undefined,
  body: string | Uint8Array,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  if (typeof header !== 'string' || header.length > 1024) return { ok: false, reason: 'MALFORMED' };
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v !== undefined && /^\d{1,12}$/.test(v)) timestamp = Number(v);
    else if (k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v)) signatures.push(v);
  }
  if (timestamp === null || signatures.length === 0) return { ok: false, reason: 'MALFORMED' };
  const expected = Buffer.from(mac(secret, timestamp, body), 'hex');
  if (!signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected)))
    return { ok: false, reason: 'BAD_SIGNATURE' };
  if (nowSeconds - timestamp > toleranceSeconds) return { ok: false, reason: 'TOO_OLD' };
  if (timestamp - nowSeconds > toleranceSeconds) return { ok: false, reason: 'IN_FUTURE' };
  return { ok: true, timestamp };
}
