// The HTTP app: every route area mounted here, one error mapping, rate limits and the body limit in front.
import type { IncomingMessage } from 'node:http';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { DEVICE_API_BASE } from '../../protocol/api/device.js';
import { bodyLimit } from 'hono/body-limit';
import { ERROR_STATUS, errorAnswer, HttpError } from './errors.js';
import { adminOpsRoutes } from './admin-ops.js';
import { adminPageRoutes } from './admin-page.js';
import { adminPassRoutes } from './admin-passes.js';
import { adminAuth } from './auth.js';
import { adminClaimRoutes } from './admin-claims.js';
import { adminAlarmRoutes, adminWebhookRoutes } from './admin-alarms.js';
import { adminRemoteRoutes } from './admin-remote.js';
import { walletApiRoutes, walletPageRoutes } from './wallet.js';
import { deviceRoutes } from './device.js';
import { discardBody } from './drain.js';
import { clientAddress, type AppEnv, type Services } from './env.js';

export interface AppOptions {
  /** Folder of the admin page (tests point it at a fixture). */
  readonly adminPageDir?: string;
  /** Reported by /healthz: false until the server has finished starting, and again while stopping. */
  readonly ready?: () => boolean;
}

/**
 * The admin API under /api/admin. Its type, AdminApp, is the admin contract: `hc<AdminApp>` (cli/admin.ts) gets
 * every route's path, body and answer from it, so a changed field fails to compile there. A new admin endpoint is
 * one chained route in admin-passes.ts, admin-claims.ts, admin-remote.ts or admin-ops.ts (plus its body schema in schemas.ts when it takes one).
 */
export function adminRoutes(s: Services) {
  return new Hono<AppEnv>()
    .route('/passes', adminPassRoutes(s))
    .route('/claims', adminClaimRoutes(s))
    .route('/alarms', adminAlarmRoutes(s))
    .route('/webhooks', adminWebhookRoutes(s))
    .route('/', adminRemoteRoutes(s))
    .route('/', adminOpsRoutes(s));
}

export type AdminApp = ReturnType<typeof adminRoutes>;

/**
 * True when the request's client aborted or its connection is gone (node-server passes the IncomingMessage). Not
 * `incoming.destroyed`: a body read to its end is destroyed too, which made every internal error on a POST a
 * bodyless 400 with no log line.
 */
function clientGone(c: Context): boolean {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return c.req.raw.signal.aborted || incoming?.readableAborted === true || incoming?.socket?.destroyed === true;
}

/** Every method that may carry a body (a route for any other is a 404 that never reads one). */
const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function createApp(s: Services, opts: AppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const ready = opts.ready ?? (() => true);

  app.onError(async (err, c) => {
    const answer = errorAnswer(err);
    if (answer) {
      // Refused before the body was read (rate limit, token): read the rest first, so the answer arrives.
      if (!(await discardBody(c, s.core.config.bodyLimitBytes))) c.header('Connection', 'close');
      if (answer.retryAfter !== undefined) c.header('Retry-After', String(answer.retryAfter));
      return c.json(answer.body, answer.status);
    }
    // A client that went away mid-request (an aborted upload) is not a server fault: one debug line, no error.
    if (clientGone(c)) {
      s.core.log.debug({ path: c.req.path }, 'request aborted by the client');
      return c.body(null, 400);
    }
    s.core.log.error({ err: err.message, path: c.req.path }, 'request failed');
    return c.json({ error: 'INTERNAL' }, 500);
  });
  app.notFound((c) => c.json({ error: 'NOT_FOUND' }, ERROR_STATUS.NOT_FOUND));

  app.use('*', (c, next) => {
    const wait = s.limits.perAddress.take(clientAddress(c, s.core.config.trustProxy));
    if (wait > 0) throw new HttpError('RATE_LIMITED', { retryAfter: wait });
    return next();
  });
  const maxSize = s.core.config.bodyLimitBytes;
  // The body is not read: the client must not send another request on this connection.
  const tooLarge = (c: Context) =>
    c.json({ error: 'BODY_TOO_LARGE' }, ERROR_STATUS.BODY_TOO_LARGE, { Connection: 'close' });
  const limitStream = bodyLimit({ maxSize, onError: tooLarge });
  // GET and HEAD carry no body: not routed through the limit at all, which keeps the polling path from
  // materialising a full Request object and from one more middleware step per poll. A body of declared length
  // (a heartbeat) is judged by its Content-Length, as Hono's bodyLimit does, but without asking for the request's
  // body stream first: on the node adapter that built a whole fetch Request per POST, the largest part of a
  // heartbeat's cost in the 10,000-gate simulation. A chunked body is counted as it arrives (bodyLimit).
  const limitBody: MiddlewareHandler<AppEnv> = async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return limitStream(c, next);
    if (Number.parseInt(length, 10) > maxSize) return tooLarge(c);
    await next();
  };
  app.on(BODY_METHODS, '/api/*', limitBody);

  app.get('/healthz', (c) =>
    ready() ? c.json({ ok: true }) : c.json({ ok: false, error: 'NOT_READY' }, ERROR_STATUS.NOT_READY),
  );

  app.use('/api/admin/*', adminAuth(s));
  app.route('/api/admin', adminRoutes(s));
  app.route(DEVICE_API_BASE, deviceRoutes(s));
  app.route('/admin', adminPageRoutes(opts.adminPageDir));
  app.route('/api/wallet', walletApiRoutes(s));
  app.route('/wallet', walletPageRoutes());

  return app;
}
