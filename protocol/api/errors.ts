// The error answer of the server's HTTP API, for both the device and the admin area: a status and the JSON body
// `{ "error": CODE, "detail"?: CODE }`. Codes are a closed list; clients show `detail` (a finer reason such as the
// field that failed validation) and never anything else of the body.
import { z } from 'zod';

export const API_ERROR_CODES = [
  'BAD_JSON',
  'VALIDATION_FAILED',
  'CONFIRMATION_REQUIRED',
  'IDEMPOTENCY_KEY_REQUIRED',
  'PASS_INVALID',
  'UNAUTHORIZED',
  'TOKEN_INVALID',
  'DEVICE_REVOKED',
  'ENROLMENT_INVALID',
  'NOT_FOUND',
  'PASS_NOT_FOUND',
  'DEVICE_NOT_FOUND',
  'ENROLMENT_NOT_FOUND',
  'PASS_NOT_ACTIVE',
  'DEVICE_NOT_ACTIVE',
  'ENROLMENT_USED',
  'IDEMPOTENCY_CONFLICT',
  'BEYOND_SUNSET',
  'PUBLIC_URL_REQUIRED',
  'TOO_MANY_KEYS',
  'ENROLMENT_EXPIRED',
  'ENROLMENT_REVOKED',
  'KEY_UNAVAILABLE',
  'DEPLOYMENT_ENDED',
  'CLAIM_NOT_FOUND',
  'CLAIM_USED',
  'CLAIM_NOT_CLAIMED',
  'CLAIM_EXPIRED',
  'CLAIM_REVOKED',
  'ALARM_NOT_FOUND',
  'WEBHOOK_NOT_FOUND',
  'TOO_MANY_WEBHOOKS',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'EVENT_QUOTA',
  'INTERNAL',
  'NOT_READY',
  'EVENT_STORAGE_FULL',
  'GATE_OFFLINE',
  'GATE_AMBIGUOUS',
  'ROLE_FORBIDDEN',
  /** A delta page set that can no longer be made (history compacted past its start, or another history). */
  'REVOCATION_PAGES_GONE',
  /** The device's change is too large for one delta and it takes neither pages nor partitions: upgrade it. */
  'DEVICE_UPGRADE_REQUIRED',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** A detail as it may appear on the wire: a code or a field path (`events.0.reason`, `(body)`), safe to show. */
const DETAIL_TEXT = /^[A-Za-z0-9_.:()-]{1,64}$/;

/**
 * The error body as a client reads it. Loose on purpose: a newer server may send a code this client does not
 * know yet, or more keys; the client still shows the code.
 */
export const errorBodySchema = z.object({
  error: z.string().regex(/^[A-Z][A-Z0-9_]{0,47}$/),
  detail: z.string().regex(DETAIL_TEXT).optional(),
});

export type ErrorBody = z.infer<typeof errorBodySchema>;
