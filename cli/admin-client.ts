// The admin CLI's typed client and option parsing, shared by cli/admin.ts and its command modules. Requests and
// answers are typed end to end by the server's AdminApp (sync-server/http/app.ts): a changed field there fails to
// compile here.
import fs from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { hc } from 'hono/client';
import { errorBodySchema } from '../protocol/api/errors.js';
import type { AdminApp } from '../sync-server/http/app.js';
import { parseDuration, parseOptions, UsageError } from './usage.js';
import { explainHoursDetail } from './admin-hours.js';

const COMMON = {
  server: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<const O extends Options>(argv: string[], options: O) {
  return parseOptions(argv, { ...COMMON, ...options }, { positionals: true });
}

/** What a refusal means for the operator, and the way out, where the reason code alone does not say it. */
function explain(reason: string, detail: string | undefined): string {
  switch (reason) {
    case 'BEYOND_SUNSET':
      return `: the pass would outlive the deployment's sunset (${detail ?? '?'}); issue it for a shorter time, or move the sunset later with \`gatecode admin policy --sunset ISO\``;
    case 'DEPLOYMENT_ENDED':
      return `: the deployment's sunset (${detail ?? '?'}) has passed; every gate has wiped its data and nothing more is signed. A new deployment needs a new server data directory (a new root key) and new enrolments`;
    case 'CONFIRMATION_REQUIRED':
      return detail === 'allowRedOpen'
        ? ': red set to open lets revoked and denied passes through the gate; repeat with --allow-red-open if that is meant'
        : ` (${detail ?? ''})`;
    case 'TOO_MANY_KEYS':
      return ` (${detail ?? ''}): the bundle lists as many issuer keys as it can; revoke passes of old keys or wait until they expire`;
    case 'VALIDATION_FAILED':
      return detail?.startsWith('hours:') ? explainHoursDetail(detail) : detail === undefined ? '' : ` (${detail})`;
    case 'PUBLIC_URL_REQUIRED':
      return ': the server does not listen on loopback, so enrolment codes need its public URL: start it with --public-url URL (or publicUrl in its config)';
    case 'GATE_OFFLINE':
      return ': the gate holds no push channel to the server now (offline, not enrolled, or push off), and an offline gate cannot be opened remotely; `gatecode admin gate list` shows the gates online';
    case 'GATE_AMBIGUOUS':
      return detail === 'site'
        ? ': gates of that name are online at several sites; name one with --site S'
        : ': several devices are online for that gate; give each its own gate name in its config';
    case 'ROLE_FORBIDDEN':
      return ': this token may only list and open gates (an operator token); use an admin token';
    default:
      return detail === undefined ? '' : ` (${detail})`;
  }
}

/** A refusal by the server: its status, reason code and, when it gave one, the finer detail. */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly detail: string | undefined,
  ) {
    super(`server answered ${status} ${reason}${explain(reason, detail)}`);
  }
}

export type AdminClient = ReturnType<typeof hc<AdminApp>>;

export interface Common {
  readonly server?: string | undefined;
  readonly token?: string | undefined;
  readonly 'token-file'?: string | undefined;
}

/** The typed admin API client (hono/client over the server's AdminApp type): paths, bodies and answers checked. */
export function client(values: Common): AdminClient {
  const server = values.server ?? process.env['GATECODE_SERVER'];
  if (!server) throw new UsageError('--server URL is required (or GATECODE_SERVER)');
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new UsageError(`--server: not a URL: "${server}"`);
  }
  let token = values.token;
  const tokenFile = values['token-file'];
  if (token === undefined && tokenFile !== undefined) {
    try {
      token = fs.readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new UsageError(
        `--token-file: cannot read ${tokenFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  token ??= process.env['GATECODE_TOKEN'];
  if (!token) throw new UsageError('an admin token is required: --token, --token-file or GATECODE_TOKEN');
  const fetchOrSay = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    try {
      return await fetch(input, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new Error(`cannot reach ${base.origin} (${cause})`, { cause: err });
    }
  };
  return hc<AdminApp>(new URL('/api/admin', base).href, {
    headers: { Authorization: `Bearer ${token}` },
    fetch: fetchOrSay,
  });
}

/** The answer of a call, or an AdminApiError carrying the server's reason and detail. */
export async function ok<R extends Response>(call: Promise<R>): Promise<R> {
  const res = await call;
  if (res.ok) return res;
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not our JSON: keep the status
  }
  const parsed = errorBodySchema.safeParse(body);
  throw new AdminApiError(
    res.status,
    parsed.success ? parsed.data.error : 'ERROR',
    parsed.success ? parsed.data.detail : undefined,
  );
}

export function writeOut(file: string, data: string | Uint8Array): void {
  try {
    fs.writeFileSync(file, data);
  } catch (err) {
    throw new UsageError(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The terms of a pass to issue, as `pass issue` and `claim` take them: --colour, --valid-for, --scope. */
export function passTerms(values: {
  colour?: string | undefined;
  'valid-for'?: string | undefined;
  scope?: string | undefined;
}): {
  colour: 'green' | 'yellow' | 'red';
  validForSeconds: number;
  scope: 'all' | string[];
} {
  const colour = values.colour;
  if (colour === undefined) throw new UsageError('--colour is required (green, yellow or red)');
  if (colour !== 'green' && colour !== 'yellow' && colour !== 'red')
    throw new UsageError('--colour must be green, yellow or red');
  const validForSeconds = parseDuration(values['valid-for'] ?? '', '--valid-for');
  const text = values.scope;
  const scope =
    text === undefined || text === 'all'
      ? 'all'
      : text
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
  return { colour, validForSeconds, scope };
}
