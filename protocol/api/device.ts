// The device API's contract (/api/device/*): every request the Pi sends and every answer it reads, as zod schemas.
// The server validates requests with these same schemas and types its answers with them; the device's client
// builds requests of these types and reads answers through them. The Pi and the server are upgraded separately,
// so a change here is a protocol change: test/sync-server/device-compat.test.ts replays the previous release's
// device requests against the current server and checks the answers still satisfy that release's client.
//
// Request schemas are strict (an unknown key is a 400: a device cannot upload anything not named here). Answer
// schemas are loose (a newer server may add fields; an older device ignores them).
import { z } from 'zod';
import { COLOURS } from '../types.js';

/** Where the device API is mounted; each path below is relative to it. */
export const DEVICE_API_BASE = '/api/device';
export const DEVICE_PATHS = {
  root: '/root',
  enrol: '/enrol',
  bundle: '/bundle',
  revocations: '/revocations',
  freshness: '/freshness',
  events: '/events',
  heartbeat: '/heartbeat',
  token: '/token',
} as const;

/** Headers of the signed-artefact answers (bundle, revocations, freshness), which are COSE bytes, not JSON. */
export const DEVICE_HEADERS = {
  bundleVersion: 'Gatecode-Bundle-Version',
  revocationSeq: 'Gatecode-Revocation-Seq',
  /** `snapshot` or `delta` (revocations only). */
  revocationKind: 'Gatecode-Revocation-Kind',
  /** The server history (log id) the revocation sequence belongs to (revocations and freshness). */
  logId: 'Gatecode-Log-Id',
  /** Required on POST /events: the same key with the same body is a replay, answered 200 without storing. */
  idempotencyKey: 'Idempotency-Key',
  /**
   * On any answer to a device token that an administrator has asked to roll: `pending`. The device then fetches
   * its new token (POST /token with the old one), stores it, and uses it; that first use retires the old token.
   */
  tokenRoll: 'Gatecode-Token-Roll',
} as const;

export const COSE_CONTENT_TYPE = 'application/cose';

// --- root and enrol (no token) ----------------------------------------------------------------------------------

/**
 * GET /root: the deployment's root public key, unauthenticated, so that a device checks it against the fingerprint
 * in its enrolment code before it spends the code (a wrong server or a wrong code costs nothing).
 */
export const rootAnswerSchema = z.object({
  rootPublicKey: z.string(),
  rootFingerprint: z.string(),
});
export type RootAnswer = z.infer<typeof rootAnswerSchema>;

export const enrolRequestSchema = z.strictObject({
  code: z.string().min(1).max(64),
  name: z.string().min(1).max(64).optional(),
});
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

export const enrolAnswerSchema = z.object({
  deviceId: z.string().min(1),
  /** The device's bearer token for every later call. */
  token: z.string().min(1),
  /** The deployment's root public key (encoded); the device checks it against the fingerprint it was given. */
  rootPublicKey: z.string(),
  rootFingerprint: z.string(),
});
export type EnrolAnswer = z.infer<typeof enrolAnswerSchema>;
/** What the device reads of the enrol answer (it checks the root key against the fingerprint it was given). */
export const enrolAnswerReader = enrolAnswerSchema.pick({ deviceId: true, token: true, rootPublicKey: true });

// --- bundle, revocations, freshness (signed COSE bodies) --------------------------------------------------------

/**
 * GET /revocations?since=SEQ&log=LOG_ID: the device's sequence and the server history it belongs to. Without
 * `since`, or with another history's (or no) log id, the answer is a full snapshot.
 */
export const revocationsQuerySchema = z.strictObject({
  since: z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number)
    .optional(),
  log: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
});

export const revocationKindSchema = z.enum(['snapshot', 'delta']);

// --- events -----------------------------------------------------------------------------------------------------

/** A count or sequence number: whole, not negative, exact in a double (1e308 is refused). */
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A device clock reading, epoch seconds with a fraction, below 2^32. */
const clockReading = z
  .number()
  .min(0)
  .max(2 ** 32);

const counterName = z.string().min(1).max(64);
const counterValue = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 53 - 1);
export const countersSchema = z.record(counterName, counterValue).refine((r) => Object.keys(r).length <= 200, {
  message: 'at most 200 counters',
});

/** Reason codes: upper-case words with digits, `_` and `:`. */
export const EVENT_REASON = /^[A-Z][A-Z0-9_:]{0,47}$/;
/** A keyed pass hash (HMAC with the device's secret), never a pass id. */
export const PASS_HASH = /^[0-9a-f]{16,128}$/;

/** One uploaded event: a keyed hash (or null), the verdict and what the gate did. */
export const uploadedEventSchema = z.strictObject({
  /** Accepted and ignored (a device's local row id; today's client does not send it). */
  id: count.optional(),
  /** Device clock, epoch seconds. */
  at: clockReading,
  colour: z.enum(COLOURS),
  reason: z.string().regex(EVENT_REASON),
  passHash: z.string().regex(PASS_HASH).nullable(),
  direction: z.enum(['in', 'out']).nullable(),
  opened: z.boolean(),
  /** True when a grant was annulled (the door opened but nobody passed). */
  notPassed: z.boolean().optional(),
});
export type UploadedEvent = z.infer<typeof uploadedEventSchema>;

/** POST /events; the server's batch limit is its `events.maxBatch` setting. */
export const eventBatchSchema = (maxBatch: number) =>
  z.strictObject({
    events: z.array(uploadedEventSchema).max(maxBatch),
    counters: countersSchema.optional(),
  });
export type EventBatch = z.infer<ReturnType<typeof eventBatchSchema>>;

export const idempotencyKeySchema = z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/);

export const eventBatchAnswerSchema = z.object({
  accepted: z.number().int().min(0),
  /** True for a replay of a batch already stored (status 200 instead of 201). */
  duplicate: z.boolean(),
});
export type EventBatchAnswer = z.infer<typeof eventBatchAnswerSchema>;

// --- heartbeat --------------------------------------------------------------------------------------------------

export const heartbeatRequestSchema = z.strictObject({
  versions: z
    .record(z.string().min(1).max(32), z.union([z.string().max(64), count]))
    .refine((r) => Object.keys(r).length <= 20),
  /** The device's revocation sequence. */
  seq: count,
  /** The device's clock at sending, epoch seconds. */
  clock: clockReading,
  counters: countersSchema,
  /** Epoch seconds (device clock) of the signed data the device holds, when it knows one. */
  trustDataAt: clockReading.nullable().optional(),
});
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

export const heartbeatAnswerSchema = z.object({
  /** The server's clock, epoch seconds (fractional). */
  serverTime: z.number().positive(),
  bundleVersion: z.number().int().min(0),
  revocationSeq: z.number().int().min(0),
  /** The server history `revocationSeq` belongs to (absent from servers before log ids). */
  logId: z.string().optional(),
});
export type HeartbeatAnswer = z.infer<typeof heartbeatAnswerSchema>;
/** What the device reads of the heartbeat answer: the server's time, when given (else it uses the Date header). */
export const heartbeatAnswerReader = z.object({ serverTime: heartbeatAnswerSchema.shape.serverTime.optional() });

// --- token roll -------------------------------------------------------------------------------------------------

/**
 * POST /token (no body). With the old token while a roll is pending: `issued` and the new token (each call hands
 * out a new one; only the last is valid; the old one works until the new one is used). Otherwise `current`: the
 * token sent is the one to keep (a new token's first use, this call included, completes the roll).
 */
export const tokenAnswerSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('issued'), token: z.string().min(1).max(200) }),
  z.object({ status: z.literal('current') }),
]);
export type TokenAnswer = z.infer<typeof tokenAnswerSchema>;
