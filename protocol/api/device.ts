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
  /** The signed partition manifest (partitioned sync, docs/sync.md). */
  revocationManifest: '/revocations/manifest',
  /** One signed partition, gzip-compressed; `:index` 0 … 16^prefixHex − 1. */
  revocationPartition: '/revocations/partitions/:index',
  /** Page `:page` (1 … n − 1) of a delta page set; page 0 is the answer of GET /revocations itself. */
  revocationPage: '/revocations/pages/:page',
  freshness: '/freshness',
  events: '/events',
  heartbeat: '/heartbeat',
  alarms: '/alarms',
  /** GET: the push channel (server-sent events); POST /push/ack: the device's answer to one pushed command. */
  push: '/push',
  pushAck: '/push/ack',
  token: '/token',
} as const;

/** Headers of the signed-artefact answers (bundle, revocations, freshness), which are COSE bytes, not JSON. */
export const DEVICE_HEADERS = {
  bundleVersion: 'Gatecode-Bundle-Version',
  revocationSeq: 'Gatecode-Revocation-Seq',
  /** `snapshot`, `delta`, `partitioned` or `delta-page` (revocations only). */
  revocationKind: 'Gatecode-Revocation-Kind',
  /** With kind `delta-page`: the pages in the set (the answer is page 0). */
  revocationPages: 'Gatecode-Revocation-Pages',
  /** The version of a revocation partition (the sequence of the last step that changed it). */
  partitionVersion: 'Gatecode-Partition-Version',
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
  /**
   * `1`: the device takes a partitioned list. When it needs a whole list and the list is large, the answer is
   * the signed manifest (kind `partitioned`) instead of one snapshot.
   */
  partitions: z.literal('1').optional(),
  /**
   * `1`: the device takes delta pages. When its delta since → current holds more than DELTA_PAGE_ENTRIES ids, the
   * answer is page 0 of the set (kind `delta-page`, the page count in Gatecode-Revocation-Pages).
   */
  pages: z.literal('1').optional(),
});

export const revocationKindSchema = z.enum(['snapshot', 'delta', 'partitioned', 'delta-page']);

/**
 * GET /revocations/pages/:page?log=L&since=S&to=T: one page of the set S → T of history L, byte-identical for the
 * same query while the server can still make it; 410 REVOCATION_PAGES_GONE when it cannot (history compacted past
 * S, another history, T not a sequence of it): the device starts its sync again.
 */
export const revocationPageQuerySchema = z.strictObject({
  log: z.string().regex(/^[0-9a-f]{32}$/),
  since: z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
  to: z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
});
export type RevocationPageQuery = z.infer<typeof revocationPageQuerySchema>;

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

// --- alarms -----------------------------------------------------------------------------------------------------

/**
 * Alarm kinds a device reports (device/alarms/kinds.ts maps the runtime's alarm list onto these). A newer device may
 * name a kind an older server does not know: the server stores it as given (it matches ALARM_KIND), so the list is
 * open on the wire but closed in the device's code.
 */
export const ALARM_KINDS = [
  'door-forced',
  'door-held-open',
  'fire-release',
  'lockdown',
  'tamper',
  'camera-fault',
  'stale-data',
  'clock-fault',
  'clock-untrusted',
  'sunset',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];
export const ALARM_KIND = /^[a-z][a-z0-9-]{0,31}$/;
/** An alarm event id: 128 random bits in hex, made by the device; the server stores each id once. */
export const ALARM_EVENT_ID = /^[0-9a-f]{32}$/;

/** One alarm transition: raised or cleared, when (device clock) and what; never pass data. */
export const alarmEventSchema = z.strictObject({
  id: z.string().regex(ALARM_EVENT_ID),
  kind: z.string().regex(ALARM_KIND),
  state: z.enum(['raised', 'cleared']),
  at: clockReading,
});
export type AlarmEvent = z.infer<typeof alarmEventSchema>;

/** POST /alarms: sent at once when an alarm is raised or cleared, and the backlog after an outage. Idempotent by id. */
export const MAX_ALARM_BATCH = 50;
export const alarmBatchSchema = z.strictObject({
  alarms: z.array(alarmEventSchema).min(1).max(MAX_ALARM_BATCH),
});
export type AlarmBatch = z.infer<typeof alarmBatchSchema>;

export const alarmBatchAnswerSchema = z.object({
  /** Events stored now. */
  accepted: z.number().int().min(0),
  /** Events the server already held (sent again after a lost answer). */
  duplicates: z.number().int().min(0),
});
export type AlarmBatchAnswer = z.infer<typeof alarmBatchAnswerSchema>;
// --- push channel (server → device) -----------------------------------------------------------------------------

/**
 * GET /push?site=S&gate=G: a long-lived `text/event-stream` from the server to an online device, beside the
 * polling. The device names the gate it drives (the server routes commands for that gate to this connection; a
 * device that lies about it gets commands it cannot act on, since every command is signed for one site and gate).
 * Frames: `event: hello` once (data: PushHello), then `event: command` (id: the command id, data: PushCommand) and
 * a `: ping` comment every `heartbeatSeconds`. Nothing is replayed on reconnect: a command is valid for seconds and
 * only for a gate online now, so Last-Event-ID is not used.
 */
export const pushQuerySchema = z.strictObject({
  site: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/),
  gate: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/),
  /** The gate's lockdown state at connect (`1` or `0`), shown on the admin page. */
  lockdown: z.enum(['0', '1']).optional(),
});
export type PushQuery = z.infer<typeof pushQuerySchema>;

export const PUSH_EVENTS = { hello: 'hello', command: 'command' } as const;

export const pushHelloSchema = z.object({
  /** The server sends a ping at least this often; the device reconnects after ~2.5× without a byte. */
  heartbeatSeconds: z.number().positive(),
});
export type PushHello = z.infer<typeof pushHelloSchema>;

/** The kinds of pushed command; each is a COSE_Sign1 signed by the root key (protocol/remote-open.ts). */
export const PUSH_COMMAND_KINDS = ['open', 'lockdown'] as const;
export type PushCommandKind = (typeof PUSH_COMMAND_KINDS)[number];

export const pushCommandSchema = z.object({
  /** Server-chosen id, echoed in the ack. */
  id: z.string().regex(/^[0-9a-f]{16,64}$/),
  kind: z.enum(PUSH_COMMAND_KINDS),
  /** The signed command, base64url. */
  command: z.string().max(1024),
});
export type PushCommand = z.infer<typeof pushCommandSchema>;

/**
 * POST /push/ack: what the device did with a pushed command. `ok` true: opened (open) or applied (lockdown);
 * false: refused, `reason` the guard's code (EXPIRED, REPLAYED, WRONG_GATE, BAD_COMMAND, NOT_YET_VALID).
 */
export const pushAckSchema = z.strictObject({
  id: pushCommandSchema.shape.id,
  ok: z.boolean(),
  reason: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,47}$/)
    .optional(),
  /** The gate's lockdown state after the command. */
  lockdown: z.boolean().optional(),
});
export type PushAck = z.infer<typeof pushAckSchema>;

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
