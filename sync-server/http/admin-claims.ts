// /api/admin/claims (chained into AdminApp, so the typed client sees it). POST: a claim link for a pass (issued now),
// or for a holder-bound pass (issued when a wallet claims it with its key); the answer carries the link (its secret
// only in the URL fragment) and the link's QR. GET: every link with its state (open, used, expired, revoked), never
// a secret (none is kept). POST /:id/revoke: an open link can no longer be claimed.
import { Hono } from 'hono';
import { z } from 'zod';
import { DEFAULT_CLAIM_TTL_SECONDS } from '../claims.js';
import { qrSvg } from '../qr.js';
import { serverUrl } from './admin-ops.js';
import { jsonBody, param, type AppEnv, type Services } from './env.js';
import { colourSchema, idSchema, scopeSchema } from './schemas.js';

const epoch = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32);

export const claimCreateSchema = z
  .strictObject({
    colour: colourSchema,
    validForSeconds: z
      .number()
      .int()
      .positive()
      .max(10 * 365 * 86_400)
      .optional(),
    notBefore: epoch.optional(),
    expiresAt: epoch.optional(),
    scope: scopeSchema.default('all'),
    holderBound: z.boolean().default(false),
    claimTtlSeconds: z
      .number()
      .int()
      .min(60)
      .max(90 * 86_400)
      .default(DEFAULT_CLAIM_TTL_SECONDS),
  })
  .refine((b) => (b.validForSeconds === undefined) !== (b.expiresAt === undefined), {
    message: 'give validForSeconds or expiresAt (with an optional notBefore), not both',
  });

/**
 * The link a person opens on their phone: the wallet page, the secret after `#` (never sent to a server by the
 * browser), and `holder=1` when the wallet must make a key pair and send its public key with the claim.
 */
export function claimLink(base: string, secret: string, holderBound: boolean): string {
  return `${base}/wallet/#claim=${secret}${holderBound ? '&holder=1' : ''}`;
}

export function adminClaimRoutes(s: Services) {
  return new Hono<AppEnv>()
    .get('/', (c) => c.json({ claims: s.claims.list() }))
    .post('/:id/revoke', (c) => c.json({ claim: s.claims.revoke(param(c.req.param('id'), idSchema), c.get('actor')) }))
    .post('/', jsonBody(claimCreateSchema), async (c) => {
      const body = c.req.valid('json');
      const now = s.core.now();
      const notBefore = body.notBefore ?? now;
      const expiresAt = body.expiresAt ?? now + (body.validForSeconds as number);
      const out = s.claims.create(
        {
          colour: body.colour,
          notBefore,
          expiresAt,
          scope: body.scope,
          holderBound: body.holderBound,
          ttlSeconds: body.claimTtlSeconds,
        },
        c.get('actor'),
      );
      const url = claimLink(serverUrl(s), out.secret, body.holderBound);
      c.header('Cache-Control', 'no-store');
      return c.json({ claim: out.claim, url, qrSvg: await qrSvg(url), pass: out.pass, text: out.text }, 201);
    });
}
