// Errors of the server's core (passes, devices, admin tokens): a closed set of codes, no HTTP in sight.
// The HTTP edge maps each code to a status and a stable JSON body in one table (sync-server/http/errors.ts); a
// code added here fails to compile until that table names its status.
// Messages never carry tokens, codes or pass text; `detail` is a finer reason code, never input data.

export const DOMAIN_CODES = [
  /** A value the core refuses (detail names which: `sunset`, …). */
  'VALIDATION_FAILED',
  /** Signing the pass failed a protocol check (detail: the ProtocolError code). */
  'PASS_INVALID',
  'TOKEN_INVALID',
  'DEVICE_REVOKED',
  'ENROLMENT_INVALID',
  'PASS_NOT_FOUND',
  'DEVICE_NOT_FOUND',
  'ENROLMENT_NOT_FOUND',
  'PASS_NOT_ACTIVE',
  'DEVICE_NOT_ACTIVE',
  'ENROLMENT_USED',
  'IDEMPOTENCY_CONFLICT',
  'ENROLMENT_EXPIRED',
  'ENROLMENT_REVOKED',
  /** The issuer key that signed a pass is gone, so its text cannot be rendered again. */
  'KEY_UNAVAILABLE',
  /** A change that needs an explicit yes (detail: the flag, `allowRedOpen`). */
  'CONFIRMATION_REQUIRED',
  /** A pass that would outlive the deployment's sunset (detail: the sunset, ISO). */
  'BEYOND_SUNSET',
  /** The sunset has passed: nothing more is signed (detail: the sunset, ISO). */
  'DEPLOYMENT_ENDED',
  /** A key rotation the bundle could not list (detail: `issuers:<max>`). */
  'TOO_MANY_KEYS',
  /** Enrolment codes of a server not on loopback need `publicUrl` (detail: `publicUrl`). */
  'PUBLIC_URL_REQUIRED',
  /** A device's event quota is used up (with retryAfter). */
  'EVENT_QUOTA',
  /** The server holds as many events as it may (detail: `maxStored:<n>`). */
  'EVENT_STORAGE_FULL',
  /** Claim links (sync-server/claims.ts): unknown or tampered secret, already redeemed, not yet redeemed, expired. */
  'CLAIM_NOT_FOUND',
  'CLAIM_USED',
  'CLAIM_NOT_CLAIMED',
  'CLAIM_EXPIRED',
  /** An administrator revoked the claim link before it was used. */
  'CLAIM_REVOKED',
  /** Alarms and webhooks (sync-server/alarms.ts, sync-server/webhooks/). */
  'ALARM_NOT_FOUND',
  'WEBHOOK_NOT_FOUND',
  /** More webhooks than `webhooks.maxHooks` (detail: `maxHooks:<n>`). */
  'TOO_MANY_WEBHOOKS',
  /** Remote commands (sync-server/remote.ts): the named gate has no open push connection, so it cannot be
   * commanded (an offline gate cannot be opened remotely). */
  'GATE_OFFLINE',
  /** The gate name matches several connected gates (detail: `site` — name the site; `devices` — one gate on
   * several devices). */
  'GATE_AMBIGUOUS',
  /** The admin token's role may not do this (an operator token may only open gates). */
  'ROLE_FORBIDDEN',
] as const;

export type DomainCode = (typeof DOMAIN_CODES)[number];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: DomainCode;
  readonly detail: string | undefined;
  /** Seconds a client should wait (EVENT_QUOTA). */
  readonly retryAfter: number | undefined;

  constructor(code: DomainCode, opts: { detail?: string; retryAfter?: number } = {}) {
    super(code);
    this.code = code;
    this.detail = opts.detail;
    this.retryAfter = opts.retryAfter;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
