// `gatecode admin claim …`: a one-time claim link for the wallet page, for a pass issued now or for a holder-bound
// pass issued when a phone claims it. The link goes to stdout (data); what it is, to stderr.
import { client, ok, parse, passTerms, writeOut } from './admin-client.js';
import { parseDuration } from './usage.js';

export const CLAIM_USAGE = `  claim --colour green|yellow|red --valid-for 30d [--scope S1,S2] [--holder] [--link-ttl 7d] [--svg FILE] [--json]
                                      one-time claim link for the wallet page (--holder: pass tied to the phone)`;

const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000', '');

export async function claimCommand(argv: string[], help: () => number): Promise<number> {
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
