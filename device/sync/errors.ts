// Errors of the device's sync client. One closed union of reasons; messages never carry tokens, codes or bytes.

export const SYNC_REASONS = [
  'BAD_ENROL_URI', // the enrolment code is not a gatecode enrolment URI, or lacks the server URL, code or fingerprint
  'FINGERPRINT_MISMATCH', // the root key the server returned does not match the fingerprint in the enrolment code
  'ENROL_REFUSED', // the server refused the one-time code (used, expired or unknown)
  'ALREADY_ENROLLED', // the store already holds an enrolment and re-enrolment was not asked for
  'NOT_ENROLLED', // a sync was asked for before the device was enrolled
  'UNAUTHORIZED', // the server refused the device token (401/403): revoked or rolled
  'HTTP_STATUS', // the server answered with an unexpected status (5xx, 404, 429 ...)
  'NETWORK', // connection refused, reset, truncated or timed out
  'BAD_RESPONSE', // the response is not what the API promises (wrong JSON shape, too large)
  'STORE', // the device store failed while syncing (disk full, locked, closed)
] as const;

export type SyncReason = (typeof SYNC_REASONS)[number];

export class SyncError extends Error {
  override readonly name = 'SyncError';
  readonly code: SyncReason;
  /** HTTP status when the server answered, else null. */
  readonly status: number | null;
  /** The server's Retry-After (429/503), seconds, when it gave one. */
  readonly retryAfterSeconds: number | null;

  constructor(
    code: SyncReason,
    message: string = code,
    status: number | null = null,
    retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isSyncError(err: unknown): err is SyncError {
  return err instanceof SyncError;
}
