// The one place errors become HTTP answers. Domain errors (sync-server/errors.ts) and the edge's own refusals
// (HttpError: bad JSON, missing token, rate limit, …) map through one table to a status and the stable JSON body
// `{ error: CODE, detail?: CODE }` (protocol/api/errors.ts). The table is checked to name every code.
import type { ApiErrorCode } from '../../protocol/api/errors.js';
import { isDomainError, type DomainCode } from '../errors.js';

/** Codes only the HTTP edge raises (the core never sees a request). */
export type EdgeCode =
  | 'BAD_JSON'
  | 'VALIDATION_FAILED'
  | 'IDEMPOTENCY_KEY_REQUIRED'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'INTERNAL'
  | 'NOT_READY'
  | 'REVOCATION_PAGES_GONE'
  | 'DEVICE_UPGRADE_REQUIRED';

/** Status per code: 400 malformed, 401 auth, 403 refused, 404, 409 conflict, 410 gone, 413, 415, 429, 5xx
 *  (507: the server's event storage is full). */
export const ERROR_STATUS = {
  BAD_JSON: 400,
  VALIDATION_FAILED: 400,
  CONFIRMATION_REQUIRED: 400,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  PASS_INVALID: 400,
  UNAUTHORIZED: 401,
  TOKEN_INVALID: 401,
  DEVICE_REVOKED: 401,
  ENROLMENT_INVALID: 403,
  ROLE_FORBIDDEN: 403,
  NOT_FOUND: 404,
  PASS_NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  ENROLMENT_NOT_FOUND: 404,
  CLAIM_NOT_FOUND: 404,
  ALARM_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  TOO_MANY_WEBHOOKS: 409,
  PASS_NOT_ACTIVE: 409,
  DEVICE_NOT_ACTIVE: 409,
  ENROLMENT_USED: 409,
  CLAIM_USED: 409,
  CLAIM_NOT_CLAIMED: 409,
  IDEMPOTENCY_CONFLICT: 409,
  BEYOND_SUNSET: 409,
  PUBLIC_URL_REQUIRED: 409,
  TOO_MANY_KEYS: 409,
  GATE_OFFLINE: 409,
  GATE_AMBIGUOUS: 409,
  DEVICE_UPGRADE_REQUIRED: 409,
  ENROLMENT_EXPIRED: 410,
  ENROLMENT_REVOKED: 410,
  CLAIM_EXPIRED: 410,
  CLAIM_REVOKED: 410,
  KEY_UNAVAILABLE: 410,
  DEPLOYMENT_ENDED: 410,
  REVOCATION_PAGES_GONE: 410,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  EVENT_QUOTA: 429,
  INTERNAL: 500,
  NOT_READY: 503,
  EVENT_STORAGE_FULL: 507,
} as const satisfies Record<DomainCode | EdgeCode, number> & Record<ApiErrorCode, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** A refusal raised by the HTTP layer itself. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: EdgeCode;
  /** Seconds a client should wait (429 only). */
  readonly retryAfter: number | undefined;
  /** A finer reason code (e.g. the field that failed validation); never input data. */
  readonly detail: string | undefined;

  constructor(code: EdgeCode, opts: { retryAfter?: number; detail?: string } = {}) {
    super(code);
    this.code = code;
    this.retryAfter = opts.retryAfter;
    this.detail = opts.detail;
  }
}

export interface ErrorAnswer {
  readonly status: ErrorStatus;
  readonly body: { error: ErrorCode; detail?: string };
  readonly retryAfter: number | undefined;
}

/** The answer for a thrown error, or null when it is not one of ours (the caller logs it and answers 500). */
export function errorAnswer(err: unknown): ErrorAnswer | null {
  if (!(err instanceof HttpError) && !isDomainError(err)) return null;
  const body = err.detail === undefined ? { error: err.code } : { error: err.code, detail: err.detail };
  return { status: ERROR_STATUS[err.code], body, retryAfter: err.retryAfter };
}
