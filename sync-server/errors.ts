// The one error type of the HTTP edge: a stable reason code and the status it maps to.
// Messages never carry tokens, codes or pass text; the client sees only `{ "error": REASON }`.

export const HTTP_REASONS = {
  BAD_JSON: 400,
  VALIDATION_FAILED: 400,
  CONFIRMATION_REQUIRED: 400,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  PASS_INVALID: 400,
  UNAUTHORIZED: 401,
  TOKEN_INVALID: 401,
  DEVICE_REVOKED: 401,
  ENROLMENT_INVALID: 403,
  NOT_FOUND: 404,
  PASS_NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  ENROLMENT_NOT_FOUND: 404,
  PASS_NOT_ACTIVE: 409,
  DEVICE_NOT_ACTIVE: 409,
  ENROLMENT_USED: 409,
  IDEMPOTENCY_CONFLICT: 409,
  BEYOND_SUNSET: 409,
  TOO_MANY_KEYS: 409,
  ENROLMENT_EXPIRED: 410,
  ENROLMENT_REVOKED: 410,
  DEPLOYMENT_ENDED: 410,
  KEY_UNAVAILABLE: 410,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  EVENT_QUOTA: 429,
  INTERNAL: 500,
  NOT_READY: 503,
  EVENT_STORAGE_FULL: 507,
} as const;

export type HttpReason = keyof typeof HTTP_REASONS;
export type HttpStatus = (typeof HTTP_REASONS)[HttpReason];

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly reason: HttpReason;
  readonly status: HttpStatus;
  /** Seconds a client should wait (429 only). */
  readonly retryAfter: number | undefined;
  /** A finer reason code (e.g. the ProtocolError code behind PASS_INVALID); never input data. */
  readonly detail: string | undefined;

  constructor(reason: HttpReason, opts: { message?: string; retryAfter?: number; detail?: string } = {}) {
    super(opts.message ?? reason);
    this.reason = reason;
    this.status = HTTP_REASONS[reason];
    this.retryAfter = opts.retryAfter;
    this.detail = opts.detail;
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}
