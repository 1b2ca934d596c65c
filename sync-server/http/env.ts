// Shared types and helpers of the HTTP layer.
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { AdminTokens } from '../admins.js';
import type { AlarmService } from '../alarms.js';
import type { WebhookService } from '../webhooks/service.js';
import type { ClaimService } from '../claims.js';
import type { ServerCore } from '../core.js';
import type { DeviceService } from '../devices.js';
import { HttpError } from './errors.js';
import type { PassService } from '../passes.js';
import type { PushHub } from '../push.js';
import type { RateLimiter } from '../rate-limit.js';
import type { RemoteCommandService } from '../remote.js';

export interface Services {
  readonly core: ServerCore;
  readonly passes: PassService;
  readonly claims: ClaimService;
  readonly devices: DeviceService;
  readonly admins: AdminTokens;
  /** Alarms from devices (sync-server/alarms.ts) and outgoing webhooks (sync-server/webhooks/). */
  readonly alarms: AlarmService;
  readonly webhooks: WebhookService;
  /** Push streams to online devices (GET /api/device/push). */
  readonly push: PushHub;
  /** Signed remote commands (open, lockdown) over the push streams. */
  readonly remote: RemoteCommandService;
  readonly limits: {
    readonly perAddress: RateLimiter;
    readonly perToken: RateLimiter;
    readonly enrolPerAddress: RateLimiter;
  };
}

export interface AppEnv {
  Variables: {
    /** Admin token id (`admin:<id>`), set by the admin auth middleware. */
    actor: string;
    /** Device id, set by the device auth middleware. */
    deviceId: string;
    /** True when the device used its old token while a token roll waits for it (device auth middleware). */
    tokenRollPending: boolean;
    /** The raw request body as read by `readJson`. */
    rawBody: string;
  };
}

export type AppContext = Context<AppEnv>;

/**
 * Client address: the socket's peer, or, when trustProxy is set, the last X-Forwarded-For entry — the one our own
 * proxy appended. Earlier entries come from the client and can be anything (a rate-limit bypass if used).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = c.req.header('x-forwarded-for');
    const last = xff?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

/**
 * Read and validate a JSON body. Malformed JSON → 400 BAD_JSON; schema failure → 400 VALIDATION_FAILED; not
 * declared as JSON → 415. With `optional`, an empty body counts as `{}` whatever its content type.
 */
export async function readJson<S extends z.ZodType>(
  c: AppContext,
  schema: S,
  opts: { optional?: boolean } = {},
): Promise<z.infer<S>> {
  const text = await c.req.text();
  c.set('rawBody', text);
  if (opts.optional && text.trim() === '') return parseWith(schema, {});
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError('UNSUPPORTED_MEDIA_TYPE');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError('BAD_JSON');
  }
  return parseWith(schema, value);
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new HttpError('VALIDATION_FAILED', { detail: first ? first.path.join('.') || '(body)' : undefined });
  }
  return parsed.data;
}

/** Validate path or query parameters. */
export function param<S extends z.ZodType>(value: unknown, schema: S): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError('VALIDATION_FAILED');
  return parsed.data;
}

export function bearer(c: Context): string {
  const h = c.req.header('authorization');
  const m = h ? /^Bearer ([^\s]+)$/i.exec(h) : null;
  if (!m) throw new HttpError('UNAUTHORIZED');
  return m[1] as string;
}

/**
 * A JSON body read by `readJson` and handed to the route as `c.req.valid('json')`. Declared as a validator so the
 * typed client (`hc<AdminApp>`, cli/admin.ts) knows the body each route takes.
 */
export function jsonBody<S extends z.ZodType, P extends string = string>(
  schema: S,
  opts: { optional?: boolean } = {},
): MiddlewareHandler<AppEnv, P, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    c.req.addValidatedData('json', (await readJson(c as unknown as AppContext, schema, opts)) as object);
    await next();
  };
}

/** Query parameters validated by `schema`, handed to the route as `c.req.valid('query')`. */
export function queryOf<S extends z.ZodType<object>, P extends string = string>(
  schema: S,
): MiddlewareHandler<
  AppEnv,
  P,
  { in: { query: { [K in keyof z.output<S>]?: string } }; out: { query: z.output<S> } }
> {
  return async (c, next) => {
    c.req.addValidatedData('query', param(c.req.query(), schema));
    await next();
  };
}
