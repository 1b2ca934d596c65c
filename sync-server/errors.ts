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
  /** Claim links (sync-server/claims.ts): unknown or tampered secret, already redeemed, not yet redeemed, expired. */
  'CLAIM_NOT_FOUND',
  'CLAIM_USED',
  'CLAIM_NOT_CLAIMED',
  'CLAIM_EXPIRED',
] as const;

export type DomainCode = (typeof DOMAIN_CODES)[number];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: DomainCode;
  readonly detail: string | undefined;

  constructor(code: DomainCode, opts: { detail?: string } = {}) {
    super(code);
    this.code = code;
    this.detail = opts.detail;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
