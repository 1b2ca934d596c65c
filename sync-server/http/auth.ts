// Authentication middleware for the admin and device areas, with the per-token rate limit.
import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../errors.js';
import { DEVICE_HEADERS } from '../../protocol/api/device.js';
import { HttpError } from './errors.js';
import { bearer, type AppEnv, type Services } from './env.js';

function limitToken(s: Services, key: string): void {
  const wait = s.limits.perToken.take(key);
  if (wait > 0) throw new HttpError('RATE_LIMITED', { retryAfter: wait });
}

/** What an operator token may call (method and path under /api/admin): list the connected gates, open one. */
export const OPERATOR_ROUTES: readonly string[] = ['GET /gates', 'POST /gates/open'];

export function adminAuth(s: Services): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { actor, role } = s.admins.authenticate(bearer(c));
    limitToken(s, actor);
    // Allow-list, so that an admin route added later refuses operators until it is named here.
    const route = `${c.req.method} ${c.req.path.replace(/^\/api\/admin/, '').replace(/\/+$/, '')}`;
    if (role !== 'admin' && !OPERATOR_ROUTES.includes(route)) throw new DomainError('ROLE_FORBIDDEN', { detail: role });
    c.set('actor', actor);
    await next();
  };
}

export function deviceAuth(s: Services): MiddlewareHandler<AppEnv> {
  // Not async: one promise fewer on every poll (next() is returned, so a refusal thrown below still reaches onError).
  return (c, next) => {
    const { deviceId, rollPending } = s.devices.tokens.authenticate(bearer(c));
    // Said on every answer (refusals too) until the gate has fetched and used its new token.
    if (rollPending) c.header(DEVICE_HEADERS.tokenRoll, 'pending');
    c.set('tokenRollPending', rollPending);
    limitToken(s, `device:${deviceId}`);
    s.devices.touch(deviceId);
    c.set('deviceId', deviceId);
    return next();
  };
}
