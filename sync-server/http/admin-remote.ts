// /api/admin/{gates,operators}: remote commands to online gates (open once, lockdown on or off) and the operator
// tokens that may do only the first (sync-server/remote.ts, sync-server/admins.ts). An operator token reaches
// GET /gates and POST /gates/open only (OPERATOR_ROUTES in auth.ts).
import { Hono } from 'hono';
import { jsonBody, type AppEnv, type Services } from './env.js';
import { gateLockdownSchema, gateOpenSchema, operatorSchema, tokenIdSchema } from './schemas.js';
import { param } from './env.js';

export function adminRemoteRoutes(s: Services) {
  return new Hono<AppEnv>()
    .get('/gates', (c) => {
      const names = new Map(s.devices.list().map((d) => [d.deviceId, d.name]));
      const gates = s.push.connected().map((g) => ({ ...g, name: names.get(g.deviceId) ?? null }));
      return c.json({ gates });
    })
    .post('/gates/open', jsonBody(gateOpenSchema), async (c) => {
      const { gate, site } = c.req.valid('json');
      return c.json(await s.remote.open(c.get('actor'), gate, site));
    })
    .post('/gates/lockdown', jsonBody(gateLockdownSchema), async (c) => {
      const { gate, site, on } = c.req.valid('json');
      return c.json(await s.remote.lockdown(c.get('actor'), gate, on, site));
    })
    .get('/operators', (c) => c.json({ operators: s.admins.listOperators() }))
    .post('/operators', jsonBody(operatorSchema, { optional: true }), (c) => {
      const { name } = c.req.valid('json');
      const now = s.core.now();
      const out = s.admins.createOperator(name ?? null, now);
      s.core.audit.record(now, c.get('actor'), 'operator.create', out.id, { name: name ?? null });
      return c.json({ id: out.id, token: out.token, role: 'operator' as const }, 201);
    })
    .post('/operators/:id/revoke', (c) => {
      const id = param(c.req.param('id'), tokenIdSchema);
      const now = s.core.now();
      s.admins.revokeOperator(id, now);
      s.core.audit.record(now, c.get('actor'), 'operator.revoke', id);
      return c.json({ ok: true });
    });
}
