// `gatecode admin claim …`: a one-time claim link for the wallet page, for a pass issued now or for a holder-bound
// pass issued when a phone claims it. The link goes to stdout (data); what it is, to stderr. `claim list` shows the
// links made (state, times, the pass id shortened; no secret exists to show) and `claim revoke ID` withdraws an
// open one.
import { client, ok, parse, passTerms, writeOut } from './admin-client.js';
import { parseDuration, UsageError } from './usage.js';

export const CLAIM_USAGE = `  claim --colour green|yellow|red --valid-for 30d [--scope S1,S2] [--holder] [--link-ttl 7d] [--svg FILE] [--json]
                                      one-time claim link for the wallet page (--holder: pass tied to the phone)
  claim list [--json]                 the claim links: id, open|used|expired|revoked, created, expires, kind, pass
  claim revoke CLAIM_ID [--json]      withdraw an open claim link (a pass already issued for it stays: pass revoke)`;

const iso = (t: number | null): string => (t === null ? '-' : new Date(t * 1000).toISOString().replace('.000', ''));

async function listClaims(argv: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
  if (values.help) return help();
  if (positionals.length > 0) throw new UsageError(`admin claim list: unexpected ${positionals[0]}`);
  const { claims } = await (await ok(client(values).claims.$get())).json();
  if (values.json) {
    process.stdout.write(JSON.stringify(claims, null, 2) + '\n');
    return 0;
  }
  for (const c of claims) {
    const pass = c.passId === null ? '-' : `${c.passId.slice(0, 12)}…`;
    const kind = c.holderBound ? 'bound' : 'printable';
    const line = [c.id, c.state.padEnd(7), iso(c.createdAt), iso(c.expiresAt), kind.padEnd(9), pass].join('  ');
    process.stdout.write(line + '\n');
  }
  if (claims.length === 0) process.stderr.write('no claim links\n');
  return 0;
}

async function revokeClaim(argv: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
  if (values.help) return help();
  const id = positionals[0];
  if (id === undefined) throw new UsageError('missing CLAIM_ID');
  if (!/^[0-9a-f]{8,64}$/.test(id))
    throw new UsageError(`CLAIM_ID: expected the hex id from \`claim list\`, got ${id}`);
  const { claim } = await (await ok(client(values).claims[':id'].revoke.$post({ param: { id } }))).json();
  if (values.json) process.stdout.write(JSON.stringify(claim, null, 2) + '\n');
  else process.stdout.write(`revoked ${claim.id}\n`);
  if (claim.passId !== null)
    process.stderr.write(
      `pass ${claim.passId} issued for this link stays valid: gatecode admin pass revoke ${claim.passId}\n`,
    );
  return 0;
}

export async function claimCommand(argv: string[], help: () => number): Promise<number> {
  if (argv[0] === 'list') return listClaims(argv.slice(1), help);
  if (argv[0] === 'revoke') return revokeClaim(argv.slice(1), help);
  const { values } = parse(argv, {
    colour: { type: 'string' },
    'valid-for': { type: 'string' },
    scope: { type: 'string' },
    holder: { type: 'boolean' },
    'link-ttl': { type: 'string' },
    svg: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help();
  const { colour, validForSeconds: validFor, scope } = passTerms(values);
  const ttl = values['link-ttl'];
  const res = await ok(
    client(values).claims.$post({
      json: {
        colour,
        validForSeconds: validFor,
        scope,
        holderBound: values.holder === true,
        ...(ttl === undefined ? {} : { claimTtlSeconds: parseDuration(ttl, '--link-ttl') }),
      },
    }),
  );
  const out = await res.json();
  if (values.svg) writeOut(values.svg, out.qrSvg);
  if (values.json) {
    process.stdout.write(JSON.stringify({ claim: out.claim, url: out.url, text: out.text }, null, 2) + '\n');
    return 0;
  }
  const what = out.claim.holderBound
    ? 'a holder-bound pass, issued when a phone claims it'
    : `pass ${out.claim.passId ?? '?'}`;
  process.stderr.write(`claim link for ${what}; claim once before ${iso(out.claim.expiresAt)}\n`);
  process.stdout.write(out.url + '\n');
  return 0;
}
