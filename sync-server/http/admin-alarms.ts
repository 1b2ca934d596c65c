// /api/admin/alarms (list, acknowledge) and /api/admin/webhooks (add, list, remove, test, delivery log).
// Routes are chained so that their input and answer types reach the typed client (AdminApp, cli/admin-alarms.ts).
import { Hono } from 'hono';
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/service.js';
import { jsonBody, param, queryOf, type AppEnv, type Services } from './env.js';
import { idSchema } from './schemas.js';

export const alarmQuery = z.strictObject({
  status: z.enum(['open', 'acknowledged', 'all']).default('open'),
  device: idSchema.optional(),
  kind: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const alarmIdSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const webhookSchema = z.strictObject({
  url: z.string().min(1).max(2048),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length),
});
export const deliveryQuery = z.strictObject({
  hook: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export function adminAlarmRoutes(s: Services) {
  return new Hono<AppEnv>()
    .get('/', queryOf(alarmQuery), (c) => {
      const q = c.req.valid('query');
      return c.json({
        alarms: s.alarms.list({ status: q.status, deviceId: q.device, kind: q.kind, limit: q.limit }),
      });
    })
    .post('/:id/ack', (c) =>
      c.json({ alarm: s.alarms.acknowledge(param(c.req.param('id'), alarmIdSchema), c.get('actor')) }),
    );
}

export function adminWebhookRoutes(s: Services) {
  return new Hono<AppEnv>()
    .get('/', (c) => c.json({ webhooks: s.webhooks.list(), eventTypes: [...WEBHOOK_EVENT_TYPES] }))
    .post('/', jsonBody(webhookSchema), (c) => {
      const { url, events } = c.req.valid('json');
      // The secret is in this answer only: it is never shown again.
      return c.json(s.webhooks.add(url, events, c.get('actor')), 201);
    })
    .get('/deliveries', queryOf(deliveryQuery), (c) => {
      const q = c.req.valid('query');
      return c.json({ deliveries: s.webhooks.deliveries({ hookId: q.hook, limit: q.limit }) });
    })
    .post('/:id/test', (c) => c.json(s.webhooks.test(param(c.req.param('id'), idSchema), c.get('actor')), 202))
    .delete('/:id', (c) => {
      s.webhooks.remove(param(c.req.param('id'), idSchema), c.get('actor'));
      return c.json({ ok: true });
    });
}
