// Input schemas of the HTTP edge (zod). Unknown keys are refused everywhere: a client bug shows up as a 400
// instead of a silently ignored field, and a device cannot upload anything the schema does not name.
import { z } from 'zod';
import { COLOURS, MAX_SCOPE_SITES } from '../../protocol/index.js';

const SITE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const TEN_YEARS = 10 * 365 * 86400;
const epoch = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32);

/** A count or sequence number: whole, not negative, exact in a double (no 1e308). */
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A device's clock reading, epoch seconds with a fraction: bounded like `epoch`. */
const clockReading = z
  .number()
  .min(0)
  .max(2 ** 32);

export const colourSchema = z.enum(COLOURS);
export const idSchema = z.string().regex(/^[0-9a-f]{8,64}$/);
export const scopeSchema = z.union([z.literal('all'), z.array(z.string().regex(SITE)).min(1).max(MAX_SCOPE_SITES)]);

export const issuePassSchema = z
  .strictObject({
    colour: colourSchema,
    validForSeconds: z.number().int().positive().max(TEN_YEARS).optional(),
    notBefore: epoch.optional(),
    expiresAt: epoch.optional(),
    scope: scopeSchema.default('all'),
  })
  .refine((b) => (b.validForSeconds === undefined) !== (b.expiresAt === undefined), {
    message: 'give validForSeconds or expiresAt (with an optional notBefore), not both',
  });

export const colourChangeSchema = z.strictObject({ colour: colourSchema });

export const passListQuery = z.strictObject({
  status: z.enum(['active', 'revoked', 'replaced', 'expired']).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

const action = z.enum(['open', 'attention', 'deny']);
export const policySchema = z.strictObject({
  actions: z.strictObject({ green: action, yellow: action, red: action }).partial().optional(),
  maxOfflineAgeSeconds: z.number().int().min(60).max(TEN_YEARS).optional(),
  sunset: epoch.optional(),
  /** Needed to set red to open (the gate would open for revoked passes); recorded in the audit log. */
  allowRedOpen: z.boolean().optional(),
});

export const rotateSchema = z.strictObject({ revokeOld: z.boolean().default(false) });

export const enrolmentSchema = z.strictObject({ ttlSeconds: z.number().int().min(60).max(TEN_YEARS).optional() });

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().positive().optional(),
});

// Device API.
export const enrolSchema = z.strictObject({
  code: z.string().min(1).max(64),
  name: z.string().min(1).max(64).optional(),
});

const counters = z
  .record(
    z.string().min(1).max(64),
    z
      .number()
      .int()
      .min(-(2 ** 31))
      .max(2 ** 53 - 1),
  )
  .refine((r) => Object.keys(r).length <= 200, {
    message: 'at most 200 counters',
  });

export const heartbeatSchema = z.strictObject({
  versions: z
    .record(z.string().min(1).max(32), z.union([z.string().max(64), count]))
    .refine((r) => Object.keys(r).length <= 20),
  seq: count,
  clock: clockReading,
  counters,
  trustDataAt: clockReading.nullable().optional(),
});

/** One event as the device stores it: a keyed hash (never a pass id), the verdict and what the gate did. */
export const eventSchema = z.strictObject({
  id: count.optional(),
  at: clockReading,
  colour: colourSchema,
  reason: z.string().regex(/^[A-Z][A-Z0-9_:]{0,47}$/),
  passHash: z
    .string()
    .regex(/^[0-9a-f]{16,128}$/)
    .nullable(),
  direction: z.enum(['in', 'out']).nullable(),
  opened: z.boolean(),
  notPassed: z.boolean().optional(),
});

export const eventsSchema = (maxBatch: number) =>
  z.strictObject({
    events: z.array(eventSchema).max(maxBatch),
    counters: counters.optional(),
  });

export const sinceQuery = z.strictObject({
  since: z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number)
    .optional(),
  /** The history (log id) `since` belongs to; another or none gets a snapshot. */
  log: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
});

export const idempotencyKeySchema = z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/);
