// `gatecode admin gate …` (remote open and lockdown of one online gate) and `gatecode admin operator …` (tokens that
// may only open gates). The result goes to stdout (one line, or JSON with --json); exit 0 only when the gate did
// it, 1 when it refused or did not answer in time, and the server's refusals (GATE_OFFLINE, …) exit 1 with their
// reason on stderr.
import { client, ok, parse } from './admin-client.js';
import { UsageError } from './usage.js';

export const GATE_USAGE = `  gate list [--json]                  the gates online now (holding their push channel)
  gate open --gate G [--site S] [--json]
                                      open one online gate once (admin or operator token)
  gate lockdown on|off --gate G [--site S] [--json]
                                      lockdown by signed command: only the lockdown scope opens
  operator add [--name N] | operator list [--json] | operator revoke ID
                                      tokens that may only list and open gates (for a guard desk)`;

const say = (line: string) => process.stdout.write(line + '\n');
const json = (v: unknown) => say(JSON.stringify(v, null, 2));

interface Outcome {
  readonly site: string;
  readonly gate: string;
  readonly result: 'done' | 'refused' | 'unconfirmed';
  readonly reason: string | null;
  readonly ms: number;
}

function report(what: string, out: Outcome, asJson: boolean): number {
  if (asJson) json(out);
  else if (out.result === 'done') say(`${out.site}/${out.gate}: ${what} (${out.ms} ms)`);
  else if (out.result === 'refused')
    process.stderr.write(`${out.site}/${out.gate}: the gate refused (${out.reason})\n`);
  else
    process.stderr.write(
      `${out.site}/${out.gate}: no answer from the gate in time; the command may have acted, and it expires within seconds\n`,
    );
  return out.result === 'done' ? 0 : 1;
}

export async function gateCommand(argv: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(argv, {
    gate: { type: 'string' },
    site: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help();
  const sub = positionals[0] ?? 'list';
  const api = client(values);
  if (sub === 'list') {
    const { gates } = await (await ok(api.gates.$get())).json();
    if (values.json) json(gates);
    else
      for (const g of gates)
        say(
          [`${g.site}/${g.gate}`, g.deviceId, g.name ?? '-', g.lockdown === true ? 'LOCKDOWN' : ''].join('  ').trim(),
        );
    return 0;
  }
  if (sub !== 'open' && sub !== 'lockdown') throw new UsageError('admin gate: expected list, open or lockdown');
  const gate = values.gate;
  if (gate === undefined) throw new UsageError('--gate G is required');
  const site = values.site === undefined ? {} : { site: values.site };
  if (sub === 'open') {
    if (positionals.length > 1) throw new UsageError(`admin gate open: unexpected "${positionals.slice(1).join(' ')}"`);
    const out = await (await ok(api.gates.open.$post({ json: { gate, ...site } }))).json();
    return report('opened', out, values.json === true);
  }
  const state = positionals[1];
  if ((state !== 'on' && state !== 'off') || positionals.length > 2)
    throw new UsageError('admin gate lockdown: expected on or off');
  const out = await (await ok(api.gates.lockdown.$post({ json: { gate, on: state === 'on', ...site } }))).json();
  return report(`lockdown ${state}`, out, values.json === true);
}

export async function operatorCommand(argv: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(argv, { name: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) return help();
  const api = client(values);
  const sub = positionals[0] ?? 'list';
  if (sub === 'add') {
    const out = await (await ok(api.operators.$post({ json: values.name ? { name: values.name } : {} }))).json();
    process.stderr.write(`operator token ${out.id}: it may only list and open gates; shown once, keep it safe\n`);
    say(out.token);
    return 0;
  }
  if (sub === 'list') {
    const { operators } = await (await ok(api.operators.$get())).json();
    if (values.json) json(operators);
    else for (const o of operators) say([o.id, o.revokedAt === null ? 'active ' : 'revoked', o.name ?? '-'].join('  '));
    return 0;
  }
  if (sub === 'revoke') {
    const id = positionals[1];
    if (id === undefined) throw new UsageError('missing ID');
    await ok(api.operators[':id'].revoke.$post({ param: { id } }));
    say(`revoked operator ${id}`);
    return 0;
  }
  throw new UsageError('admin operator: expected add, list or revoke ID');
}
