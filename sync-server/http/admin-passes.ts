// /api/admin/passes: issue, list, QR images, revoke, change colour.
import { Hono } from 'hono';
import { qrPng, qrSvg } from '../qr.js';
import { param, readJson, type AppEnv, type Services } from './env.js';
import { colourChangeSchema, idSchema, issuePassSchema, passListQuery } from './schemas.js';

export function adminPassRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/', async (c) => {
    const body = await readJson(c, issuePassSchema);
    const now = s.core.now();
    const notBefore = body.notBefore ?? now;
    const expiresAt = body.expiresAt ?? now + (body.validForSeconds as number);
    const { pass, text } = s.passes.issue(
      { colour: body.colour, notBefore, expiresAt, scope: body.scope },
      c.get('actor'),
    );
    return c.json({ pass, text, qrSvg: await qrSvg(text) }, 201);
  });

  app.get('/', (c) => {
    const q = param(c.req.query(), passListQuery);
    return c.json({ passes: s.passes.list(q) });
  });

  app.get('/:passId', (c) => c.json({ pass: s.passes.get(param(c.req.param('passId'), idSchema)) }));

  app.get('/:passId/qr.svg', async (c) => {
    const text = s.passes.text(param(c.req.param('passId'), idSchema));
    c.header('Cache-Control', 'no-store');
    return c.body(await qrSvg(text), 200, { 'Content-Type': 'image/svg+xml' });
  });

  app.get('/:passId/qr.png', async (c) => {
    const text = s.passes.text(param(c.req.param('passId'), idSchema));
    c.header('Cache-Control', 'no-store');
    return c.body(new Uint8Array(await qrPng(text)), 200, { 'Content-Type': 'image/png' });
  });

  app.get('/:passId/text', (c) => {
    const text = s.passes.text(param(c.req.param('passId'), idSchema));
    c.header('Cache-Control', 'no-store');
    return c.json({ text });
  });

  app.post('/:passId/revoke', (c) => {
    const pass = s.passes.revoke(param(c.req.param('passId'), idSchema), c.get('actor'));
    return c.json({ pass });
  });

  app.post('/:passId/colour', async (c) => {
    const passId = param(c.req.param('passId'), idSchema);
    const { colour } = await readJson(c, colourChangeSchema);
    const out = s.passes.changeColour(passId, colour, c.get('actor'));
    return c.json({ ...out, qrSvg: await qrSvg(out.text) }, 201);
  });

  return app;
}
