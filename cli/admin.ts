// `gatecode admin …`: the admin API from a terminal, against a running server.
// Requests and answers are typed end to end by the server's AdminApp (sync-server/http/app.ts): a changed field
// there fails to compile here.
import { alarmsCommand, ALARMS_USAGE, webhookCommand } from './admin-alarms.js';
import { claimCommand, CLAIM_USAGE } from './admin-claim.js';
import { gateCommand, GATE_USAGE, operatorCommand } from './admin-gate.js';
import { client, ok, parse, passTerms, writeOut } from './admin-client.js';
import { parseDuration, parseIsoSeconds, UsageError } from './usage.js';
import { readHoursFile } from './admin-hours.js';

const USAGE = `usage: gatecode admin COMMAND ... --server URL (--token T | --token-file FILE)

  pass issue --colour green|yellow|red --valid-for 30d [--scope S1,S2] [--png FILE] [--svg FILE]
                                      issue a pass; prints its GC1: text
  pass list [--status active|revoked|replaced|expired] [--json]
  pass revoke PASS_ID
  pass colour PASS_ID COLOUR          revoke the pass and issue it again in another colour; prints the new text
${CLAIM_USAGE}
  enrol [--ttl 1h] [--svg FILE]       one-time enrolment code; prints the code and the enrolment URI
  enrol list                          the enrolment codes: id, open|used|expired|revoked, expiry
  devices [list | roll DEVICE_ID [--now] | revoke DEVICE_ID]
                                      roll: the gate fetches a new token at its next sync and the old one
                                      works until it has; --now kills the token at once (a stolen gate:
                                      the device is revoked and needs a new enrolment code)
${GATE_USAGE}
  policy [--green A] [--yellow A] [--red A] [--max-offline 48h] [--sunset ISO] [--allow-red-open]
         [--hours FILE.json | --no-hours]
                                      without options prints the policy; A is open|attention|deny;
                                      --red open needs --allow-red-open (recorded in the audit log);
                                      --hours sets the opening hours (docs/protocol.md), --no-hours removes them
  keys rotate [--revoke-old]          new issuer key (the old one stays valid for its passes unless revoked)
  audit [--limit N]
${ALARMS_USAGE}

The server also comes from GATECODE_SERVER, the token from GATECODE_TOKEN.`;

function need(positionals: string[], i: number, what: string): string {
  const v = positionals[i];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

const say = (line: string) => process.stdout.write(line + '\n');
const json = (v: unknown) => say(JSON.stringify(v, null, 2));
const iso = (t: number | null | undefined) =>
  typeof t === 'number' ? new Date(t * 1000).toISOString().replace('.000', '') : '-';

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
    if (values.help) return help();
    const { colour, validForSeconds: validFor, scope } = passTerms(values);
    const api = client(values);
    const out = await (await ok(api.passes.$post({ json: { colour, validForSeconds: validFor, scope } }))).json();
    if (values.svg) writeOut(values.svg, out.qrSvg);
    if (values.png) {
      const png = await ok(api.passes[':passId']['qr.png'].$get({ param: { passId: out.pass.passId } }));
      writeOut(values.png, new Uint8Array(await png.arrayBuffer()));
    }
    process.stderr.write(`pass ${out.pass.passId} ${out.pass.colour}, valid until ${iso(out.pass.expiresAt)}\n`);
    say(out.text);
    return 0;
  }
  if (sub === 'list') {
    const { values } = parse(rest, { status: { type: 'string' }, json: { type: 'boolean' } });
    if (values.help) return help();
    const query = values.status === undefined ? {} : { status: values.status };
    const { passes } = await (await ok(client(values).passes.$get({ query }))).json();
    if (values.json) json(passes);
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
    if (values.help) return help();
    const passId = need(positionals, 0, 'PASS_ID');
    const { pass } = await (await ok(client(values).passes[':passId'].revoke.$post({ param: { passId } }))).json();
    say(`revoked ${pass.passId}`);
    return 0;
  }
  if (sub === 'colour') {
    const { values, positionals } = parse(rest, {});
    if (values.help) return help();
    const passId = need(positionals, 0, 'PASS_ID');
    const colour = need(positionals, 1, 'COLOUR');
    if (colour !== 'green' && colour !== 'yellow' && colour !== 'red')
      throw new UsageError('COLOUR must be green, yellow or red');
    const out = await (
      await ok(client(values).passes[':passId'].colour.$post({ param: { passId }, json: { colour } }))
    ).json();
    process.stderr.write(`pass ${out.replaced} revoked; new pass ${out.pass.passId} ${out.pass.colour}\n`);
    say(out.text);
    return 0;
  }
  throw new UsageError(`admin pass: expected issue, list, revoke or colour`);
}

async function enrolCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ttl: { type: 'string' }, svg: { type: 'string' } });
  if (values.help) return help();
  // `admin enrol list` once made a live code out of a typo'd subcommand: only `list` and nothing else are known.
  if (positionals[0] === 'list' && positionals.length === 1) {
    const { enrolments } = await (await ok(client(values).enrolments.$get())).json();
    for (const e of enrolments) say([e.id, e.status.padEnd(7), iso(e.expiresAt)].join('  '));
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(
      `admin enrol: unexpected "${positionals.join(' ')}" (admin enrol [--ttl 1h] | admin enrol list)`,
    );
  const json = values.ttl ? { ttlSeconds: parseDuration(values.ttl, '--ttl') } : {};
  const out = await (await ok(client(values).enrolments.$post({ json }))).json();
  if (values.svg) writeOut(values.svg, out.qrSvg);
  say(`code: ${out.code}`);
  say(`uri: ${out.enrolmentUri}`);
  say(`expires: ${iso(out.expiresAt)}`);
  return 0;
}

async function devicesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, now: { type: 'boolean' } });
  if (values.help) return help();
  const api = client(values);
  const sub = positionals[0] ?? 'list';
  if (values.now && sub !== 'roll') throw new UsageError('--now goes with devices roll');
  if (sub === 'list') {
    const { devices } = await (await ok(api.devices.$get())).json();
    if (values.json) json(devices);
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
  if (sub !== 'roll' && sub !== 'revoke') throw new UsageError('admin devices: expected list, roll ID or revoke ID');
  const id = need(positionals, 1, 'DEVICE_ID');
  if (sub === 'roll') {
    const mode = values.now ? 'immediate' : 'handover';
    const out = await (await ok(api.devices[':id'].roll.$post({ param: { id }, json: { mode } }))).json();
    if (values.json) json(out);
    else if (mode === 'immediate')
      say(`token of device ${id} revoked at once; the device is revoked: re-enrol the gate with a new code`);
    else
      say(
        `token roll pending for device ${id} (since ${iso(out.device.tokenRollPendingSince)}): the gate fetches its new token at its next sync; the old token works until it has`,
      );
    return 0;
  }
  await ok(api.devices[':id'].revoke.$post({ param: { id } }));
  say(`revoked device ${id}`);
  return 0;
}

const ACTIONS = ['open', 'attention', 'deny'] as const;
type Action = (typeof ACTIONS)[number];
const isAction = (a: string): a is Action => (ACTIONS as readonly string[]).includes(a);

async function policyCommand(argv: string[]): Promise<number> {
  const opt = { type: 'string' } as const;
  const { values } = parse(argv, {
    green: opt,
    yellow: opt,
    red: opt,
    'max-offline': opt,
    sunset: opt,
    'allow-red-open': { type: 'boolean' },
    hours: opt,
    'no-hours': { type: 'boolean' },
  });
  if (values.hours !== undefined && values['no-hours']) throw new UsageError('give --hours FILE or --no-hours, not both');
  if (values.help) return help();
  const actions: { green?: Action; yellow?: Action; red?: Action } = {};
  for (const c of ['green', 'yellow', 'red'] as const) {
    const a = values[c];
    if (a === undefined) continue;
    if (!isAction(a)) throw new UsageError(`--${c} must be open, attention or deny`);
    actions[c] = a;
  }
  const body = {
    ...(Object.keys(actions).length ? { actions } : {}),
    ...(values['max-offline'] ? { maxOfflineAgeSeconds: parseDuration(values['max-offline'], '--max-offline') } : {}),
    ...(values.sunset ? { sunset: parseIsoSeconds(values.sunset, '--sunset') } : {}),
    ...(values['allow-red-open'] ? { allowRedOpen: true } : {}),
    ...(values.hours !== undefined ? { hours: readHoursFile(values.hours) } : {}),
    ...(values['no-hours'] ? { hours: null } : {}),
  };
  if (values['allow-red-open'] && actions.red !== 'open') throw new UsageError('--allow-red-open goes with --red open');
  const api = client(values);
  const res = await ok(Object.keys(body).length ? api.policy.$put({ json: body }) : api.policy.$get());
  const out = await res.json();
  json({ ...out, sunsetIso: iso(out.sunset) });
  return 0;
}

async function keysCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'revoke-old': { type: 'boolean' } });
  if (values.help) return help();
  if (positionals[0] !== 'rotate') throw new UsageError('admin keys: expected rotate');
  const revokeOld = values['revoke-old'] === true;
  const out = await (await ok(client(values).keys.rotate.$post({ json: { revokeOld } }))).json();
  say(
    `new issuer key ${out.kid}; previous ${out.previous.join(', ') || '-'} ${revokeOld ? 'revoked' : 'retired'}; bundle version ${out.bundleVersion}`,
  );
  return 0;
}

async function auditCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { limit: { type: 'string' } });
  if (values.help) return help();
  const limit = values.limit ?? '50';
  if (!/^\d+$/.test(limit)) throw new UsageError('--limit: expected a number');
  const { entries } = await (await ok(client(values).audit.$get({ query: { limit } }))).json();
  for (const e of entries) say([iso(e.at), e.actor, e.action, e.target ?? '-'].join('  '));
  return 0;
}

function help(): number {
  process.stdout.write(USAGE + '\n');
  return 0;
}

const COMMANDS: Readonly<Record<string, (argv: string[]) => Promise<number>>> = {
  pass: passCommand,
  claim: (argv) => claimCommand(argv, help),
  enrol: enrolCommand,
  devices: devicesCommand,
  policy: policyCommand,
  keys: keysCommand,
  audit: auditCommand,
  gate: (argv) => gateCommand(argv, help),
  operator: (argv) => operatorCommand(argv, help),
  alarms: (argv) => alarmsCommand(argv, help),
  webhook: (argv) => webhookCommand(argv, help),
};

/** `gatecode admin`: no command prints the usage and exits 2 like every other command; an unknown one is a UsageError. */
export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!command) throw new UsageError(`unknown admin command "${cmd}" (${Object.keys(COMMANDS).join(', ')})`);
  return command(rest);
}
