// `gatecode admin …`: the admin API from a terminal, against a running server.
import fs from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDuration, parseIsoSeconds, UsageError } from './usage.js';

const USAGE = `usage: gatecode admin COMMAND ... --server URL (--token T | --token-file FILE)

  pass issue --colour green|yellow|red --valid-for 30d [--scope S1,S2] [--png FILE] [--svg FILE]
                                      issue a pass; prints its GC1: text
  pass list [--status active|revoked|replaced|expired] [--json]
  pass revoke PASS_ID
  pass colour PASS_ID COLOUR          revoke the pass and issue it again in another colour; prints the new text
  enrol [--ttl 1h] [--svg FILE]       one-time enrolment code; prints the code and the enrolment URI
  devices [list | roll DEVICE_ID | revoke DEVICE_ID]
  policy [--green A] [--yellow A] [--red A] [--max-offline 48h] [--sunset ISO] [--allow-red-open]
                                      without options prints the policy; A is open|attention|deny;
                                      --red open needs --allow-red-open (recorded in the audit log)
  keys rotate [--revoke-old]          new issuer key (the old one stays valid for its passes unless revoked)
  audit [--limit N]

The server also comes from GATECODE_SERVER, the token from GATECODE_TOKEN.`;

const COMMON = {
  server: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Values = Record<string, string | boolean | undefined>;

function parse(argv: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { ...COMMON, ...options } });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
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
      return `: ${detail ?? 'too many issuer keys'}; revoke passes of old keys or wait until they expire`;
    default:
      return detail === undefined ? '' : ` (${detail})`;
  }
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly detail?: string,
  ) {
    super(`server answered ${status} ${reason}${explain(reason, detail)}`);
  }
}

interface Client {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  bytes(path: string): Promise<Uint8Array>;
}

function client(values: Values): Client {
  const server = (values['server'] as string | undefined) ?? process.env['GATECODE_SERVER'];
  if (!server) throw new UsageError('--server URL is required (or GATECODE_SERVER)');
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new UsageError(`--server: not a URL: "${server}"`);
  }
  let token = values['token'] as string | undefined;
  const tokenFile = values['token-file'] as string | undefined;
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
  const auth = `Bearer ${token}`;
  const request = async (method: string, path: string, body?: unknown): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(new URL(path, base), {
        method,
        headers: { Authorization: auth, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new Error(`cannot reach ${base.origin} (${cause})`, { cause: err });
    }
    if (!res.ok) {
      let reason = 'ERROR';
      let detail: string | undefined;
      try {
        const body = (await res.json()) as { error?: string; detail?: unknown };
        reason = body.error ?? reason;
        if (typeof body.detail === 'string') detail = body.detail;
      } catch {
        // not our JSON: keep the status
      }
      throw new ApiError(res.status, reason, detail);
    }
    return res;
  };
  return {
    call: async <T>(method: string, path: string, body?: unknown) =>
      (await (await request(method, path, body)).json()) as T,
    bytes: async (path: string) => new Uint8Array(await (await request('GET', path)).arrayBuffer()),
  };
}

function need(positionals: string[], i: number, what: string): string {
  const v = positionals[i];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

function writeOut(file: string, data: string | Uint8Array): void {
  try {
    fs.writeFileSync(file, data);
  } catch (err) {
    throw new UsageError(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const say = (line: string) => process.stdout.write(line + '\n');
const json = (v: unknown) => say(JSON.stringify(v, null, 2));
const iso = (t: number | null | undefined) =>
  typeof t === 'number' ? new Date(t * 1000).toISOString().replace('.000', '') : '-';

interface PassRecord {
  passId: string;
  colour: string;
  status: string;
  notBefore: number;
  expiresAt: number;
  scope: 'all' | string[];
}

async function passCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'issue') {
    const { values } = parse(rest, {
      colour: { type: 'string' },
      'valid-for': { type: 'string' },
      scope: { type: 'string' },
      png: { type: 'string' },
      svg: { type: 'string' },
    });
    if (values['help']) return help();
    const colour = values['colour'] as string | undefined;
    if (!colour || !['green', 'yellow', 'red'].includes(colour))
      throw new UsageError('--colour must be green, yellow or red');
    const validFor = parseDuration((values['valid-for'] as string | undefined) ?? '', '--valid-for');
    const scopeText = values['scope'] as string | undefined;
    const scope =
      scopeText === undefined || scopeText === 'all'
        ? 'all'
        : scopeText
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
    const api = client(values);
    const out = await api.call<{ pass: PassRecord; text: string; qrSvg: string }>('POST', '/api/admin/passes', {
      colour,
      validForSeconds: validFor,
      scope,
    });
    if (values['svg']) writeOut(values['svg'] as string, out.qrSvg);
    if (values['png'])
      writeOut(values['png'] as string, await api.bytes(`/api/admin/passes/${out.pass.passId}/qr.png`));
    process.stderr.write(`pass ${out.pass.passId} ${out.pass.colour}, valid until ${iso(out.pass.expiresAt)}\n`);
    say(out.text);
    return 0;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { status: { type: 'string' }, json: { type: 'boolean' } });
    if (values['help']) return help();
    const q = values['status'] ? `?status=${encodeURIComponent(values['status'] as string)}` : '';
    const { passes } = await client(values).call<{ passes: PassRecord[] }>('GET', `/api/admin/passes${q}`);
    if (values['json']) json(passes);
    else
      for (const p of passes)
        say(
          [
            p.passId,
            p.colour.padEnd(6),
            p.status.padEnd(8),
            iso(p.expiresAt),
            p.scope === 'all' ? 'all' : p.scope.join(','),
          ].join('  '),
        );
    return 0;
  }
  if (sub === 'revoke') {
    const { values, positionals } = parse(rest, {});
    if (values['help']) return help();
    const id = need(positionals, 0, 'PASS_ID');
    const { pass } = await client(values).call<{ pass: PassRecord }>(
      'POST',
      `/api/admin/passes/${encodeURIComponent(id)}/revoke`,
    );
    say(`revoked ${pass.passId}`);
    return 0;
  }
  if (sub === 'colour') {
    const { values, positionals } = parse(rest, {});
    if (values['help']) return help();
    const id = need(positionals, 0, 'PASS_ID');
    const colour = need(positionals, 1, 'COLOUR');
    const out = await client(values).call<{ pass: PassRecord; text: string; replaced: string }>(
      'POST',
      `/api/admin/passes/${encodeURIComponent(id)}/colour`,
      { colour },
    );
    process.stderr.write(`pass ${out.replaced} revoked; new pass ${out.pass.passId} ${out.pass.colour}\n`);
    say(out.text);
    return 0;
  }
  throw new UsageError(`admin pass: expected issue, list, revoke or colour`);
}

async function enrolCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ttl: { type: 'string' }, svg: { type: 'string' } });
  if (values['help']) return help();
  const body = values['ttl'] ? { ttlSeconds: parseDuration(values['ttl'] as string, '--ttl') } : {};
  const out = await client(values).call<{ code: string; expiresAt: number; enrolmentUri: string; qrSvg: string }>(
    'POST',
    '/api/admin/enrolments',
    body,
  );
  if (values['svg']) writeOut(values['svg'] as string, out.qrSvg);
  say(`code: ${out.code}`);
  say(`uri: ${out.enrolmentUri}`);
  say(`expires: ${iso(out.expiresAt)}`);
  return 0;
}

interface Device {
  deviceId: string;
  name: string | null;
  status: string;
  lastSeenAt: number | null;
  clockDriftSeconds: number | null;
  dataAgeSeconds: number | null;
}

async function devicesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
  if (values['help']) return help();
  const api = client(values);
  const sub = positionals[0] ?? 'list';
  if (sub === 'list') {
    const { devices } = await api.call<{ devices: Device[] }>('GET', '/api/admin/devices');
    if (values['json']) json(devices);
    else
      for (const d of devices) {
        say(
          [
            d.deviceId,
            d.status.padEnd(7),
            (d.name ?? '-').padEnd(16),
            `seen ${iso(d.lastSeenAt)}`,
            `drift ${d.clockDriftSeconds ?? '-'}s`,
            `data age ${d.dataAgeSeconds ?? '-'}s`,
          ].join('  '),
        );
      }
    return 0;
  }
  const id = encodeURIComponent(need(positionals, 1, 'DEVICE_ID'));
  if (sub === 'roll') {
    const { token } = await api.call<{ token: string }>('POST', `/api/admin/devices/${id}/roll`);
    say(token);
    return 0;
  }
  if (sub === 'revoke') {
    await api.call('POST', `/api/admin/devices/${id}/revoke`);
    say(`revoked device ${positionals[1]}`);
    return 0;
  }
  throw new UsageError('admin devices: expected list, roll ID or revoke ID');
}

async function policyCommand(argv: string[]): Promise<number> {
  const opt = { type: 'string' } as const;
  const { values } = parse(argv, {
    green: opt,
    yellow: opt,
    red: opt,
    'max-offline': opt,
    sunset: opt,
    'allow-red-open': { type: 'boolean' },
  });
  if (values['help']) return help();
  const actions: Record<string, string> = {};
  for (const c of ['green', 'yellow', 'red']) {
    const a = values[c] as string | undefined;
    if (a === undefined) continue;
    if (!['open', 'attention', 'deny'].includes(a)) throw new UsageError(`--${c} must be open, attention or deny`);
    actions[c] = a;
  }
  const body: Record<string, unknown> = {};
  if (Object.keys(actions).length) body['actions'] = actions;
  if (values['max-offline'])
    body['maxOfflineAgeSeconds'] = parseDuration(values['max-offline'] as string, '--max-offline');
  if (values['sunset']) body['sunset'] = parseIsoSeconds(values['sunset'] as string, '--sunset');
  if (values['allow-red-open']) {
    if (actions['red'] !== 'open') throw new UsageError('--allow-red-open goes with --red open');
    body['allowRedOpen'] = true;
  }
  const api = client(values);
  const out = await api.call<{
    actions: Record<string, string>;
    maxOfflineAgeSeconds: number;
    sunset: number;
    bundleVersion: number;
  }>(Object.keys(body).length ? 'PUT' : 'GET', '/api/admin/policy', Object.keys(body).length ? body : undefined);
  json({ ...out, sunsetIso: iso(out.sunset) });
  return 0;
}

async function keysCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'revoke-old': { type: 'boolean' } });
  if (values['help']) return help();
  if (positionals[0] !== 'rotate') throw new UsageError('admin keys: expected rotate');
  const out = await client(values).call<{ kid: string; previous: string[]; bundleVersion: number }>(
    'POST',
    '/api/admin/keys/rotate',
    {
      revokeOld: values['revoke-old'] === true,
    },
  );
  say(
    `new issuer key ${out.kid}; previous ${out.previous.join(', ') || '-'} ${values['revoke-old'] ? 'revoked' : 'retired'}; bundle version ${out.bundleVersion}`,
  );
  return 0;
}

async function auditCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { limit: { type: 'string' } });
  if (values['help']) return help();
  const limit = values['limit'] ?? '50';
  if (!/^\d+$/.test(limit as string)) throw new UsageError('--limit: expected a number');
  const { entries } = await client(values).call<{
    entries: { at: number; actor: string; action: string; target: string | null }[];
  }>('GET', `/api/admin/audit?limit=${limit}`);
  for (const e of entries) say([iso(e.at), e.actor, e.action, e.target ?? '-'].join('  '));
  return 0;
}

function help(): number {
  process.stdout.write(USAGE + '\n');
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        return help();
      case 'pass':
        return await passCommand(rest);
      case 'enrol':
        return await enrolCommand(rest);
      case 'devices':
        return await devicesCommand(rest);
      case 'policy':
        return await policyCommand(rest);
      case 'keys':
        return await keysCommand(rest);
      case 'audit':
        return await auditCommand(rest);
      default:
        throw new UsageError(`unknown admin command "${cmd}"`);
    }
  } catch (err) {
    if (err instanceof ApiError) {
      process.stderr.write(`gatecode admin: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
