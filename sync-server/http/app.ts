// The HTTP app: every route area mounted here, one error mapping, rate limits and the body limit in front.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HttpError, isHttpError } from '../errors.js';
import { adminOpsRoutes } from './admin-ops.js';
import { adminPageRoutes } from './admin-page.js';
import { adminPassRoutes } from './admin-passes.js';
import { adminAuth } from './auth.js';
import { adminClaimRoutes } from './admin-claims.js';
import { walletApiRoutes, walletPageRoutes } from './wallet.js';
import { deviceRoutes } from './device.js';
import { clientAddress, type AppEnv, type Services } from './env.js';

export interface AppOptions {
  /** Folder of the admin page (tests point it at a fixture). */
  readonly adminPageDir?: string;
  /** Reported by /healthz: false until the server has finished starting, and again while stopping. */
  readonly ready?: () => boolean;
}

export function createApp(s: Services, opts: AppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const ready = opts.ready ?? (() => true);

  app.onError((err, c) => {
    if (isHttpError(err)) {
      if (err.retryAfter !== undefined) c.header('Retry-After', String(err.retryAfter));
      return c.json(
        err.detail === undefined ? { error: err.reason } : { error: err.reason, detail: err.detail },
        err.status,
      );
    }
    s.core.log.error({ err: err.message, path: c.req.path }, 'request failed');
    return c.json({ error: 'INTERNAL' }, 500);
  });
  app.notFound((c) => c.json({ error: 'NOT_FOUND' }, 404));

  app.use('*', async (c, next) => {
    const wait = s.limits.perAddress.take(clientAddress(c, s.core.config.trustProxy));
    if (wait > 0) throw new HttpError('RATE_LIMITED', { retryAfter: wait });
    await next();
  });
  const limitBody = bodyLimit({
    maxSize: s.core.config.bodyLimitBytes,
    onError: (c) => c.json({ error: 'BODY_TOO_LARGE' }, 413),
  });
  // GET and HEAD carry no body; skipping them keeps the polling path from materialising a full Request object.
  app.use('/api/*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));

  app.get('/healthz', (c) => (ready() ? c.json({ ok: true }) : c.json({ ok: false, error: 'NOT_READY' }, 503)));

  app.use('/api/admin/*', adminAuth(s));
  app.route('/api/admin/passes', adminPassRoutes(s));
  app.route('/api/admin', adminOpsRoutes(s));
  app.route('/api/device', deviceRoutes(s));
  app.route('/admin', adminPageRoutes(opts.adminPageDir));
  app.route('/api/admin/claims', adminClaimRoutes(s));
  app.route('/api/wallet', walletApiRoutes(s));
  app.route('/wallet', walletPageRoutes());

  return app;
}
