// /api/admin/passes: issue, list, QR images, revoke, change colour.
// Routes are chained so that their input and answer types reach the typed client (AdminApp, cli/admin.ts).
import { Hono } from 'hono';
import { qrPng, qrSvg } from '../qr.js';
import { jsonBody, param, queryOf, type AppEnv, type Services } from './env.js';
import { colourChangeSchema, idSchema, issuePassSchema, passListQuery } from './schemas.js';

export function adminPassRoutes(s: Services) {
  return new Hono<AppEnv>()
    .post('/', jsonBody(issuePassSchema), async (c) => {
      const body = c.req.valid('json');
      const now = s.core.now();
      const notBefore = body.notBefore ?? now;
      const expiresAt = body.expiresAt ?? now + (body.validForSeconds as number);
      const { pass, text } = s.passes.issue(
        { colour: body.colour, notBefore, expiresAt, scope: body.scope },
        c.get('actor'),
      );
      return c.json({ pass, text, qrSvg: await qrSvg(text) }, 201);
    })
    .get('/', queryOf(passListQuery), (c) => c.json({ passes: s.passes.list(c.req.valid('query')) }))
    .get('/:passId', (c) => c.json({ pass: s.passes.get(param(c.req.param('passId'), idSchema)) }))
    .get('/:passId/qr.svg', async (c) => {
      const text = s.passes.text(param(c.req.param('passId'), idSchema));
      c.header('Cache-Control', 'no-store');
      return c.body(await qrSvg(text), 200, { 'Content-Type': 'image/svg+xml' });
    })
    .get('/:passId/qr.png', async (c) => {
      const text = s.passes.text(param(c.req.param('passId'), idSchema));
      c.header('Cache-Control', 'no-store');
      return c.body(new Uint8Array(await qrPng(text)), 200, { 'Content-Type': 'image/png' });
    })
    .get('/:passId/text', (c) => {
      const text = s.passes.text(param(c.req.param('passId'), idSchema));
      c.header('Cache-Control', 'no-store');
      return c.json({ text });
    })
    .post('/:passId/revoke', (c) => {
      const pass = s.passes.revoke(param(c.req.param('passId'), idSchema), c.get('actor'));
      s.webhooks.emit('pass.revoked', { passId: pass.passId, colour: pass.colour, by: c.get('actor') });
      return c.json({ pass });
    })
    .post('/:passId/colour', jsonBody(colourChangeSchema), async (c) => {
      const passId = param(c.req.param('passId'), idSchema);
      const { colour } = c.req.valid('json');
      const out = s.passes.changeColour(passId, colour, c.get('actor'));
      return c.json({ ...out, qrSvg: await qrSvg(out.text) }, 201);
    });
}
