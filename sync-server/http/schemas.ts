// Input schemas of the admin area (zod); the device API's are the shared contract in protocol/api/device.ts. Unknown keys are refused everywhere: a client bug shows up as a 400
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
  /** Opening hours in their written form (protocol/hours/json.ts), checked by parseHoursJson; null removes them. */
  hours: z.unknown().optional(),
});

/** POST /devices/:id/roll: `handover` (default) the gate completes itself; `immediate` revokes the device at once. */
export const rollSchema = z.strictObject({ mode: z.enum(['handover', 'immediate']).default('handover') });

export const rotateSchema = z.strictObject({ revokeOld: z.boolean().default(false) });

export const enrolmentSchema = z.strictObject({ ttlSeconds: z.number().int().min(60).max(TEN_YEARS).optional() });

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().positive().optional(),
});

/** A site or gate name (protocol NAME_PATTERN). */
const placeName = z.string().regex(SITE);
export const gateOpenSchema = z.strictObject({ gate: placeName, site: placeName.optional() });
export const gateLockdownSchema = z.strictObject({ gate: placeName, site: placeName.optional(), on: z.boolean() });
export const operatorSchema = z.strictObject({ name: z.string().min(1).max(64).optional() });
export const tokenIdSchema = z.string().regex(/^[0-9a-f]{8}$/);
