// `gatecode admin claim …`: a one-time claim link for the wallet page, for a pass issued now or for a holder-bound
// pass issued when a phone claims it. The link goes to stdout (data); what it is, to stderr.
import type { ParseArgsConfig } from 'node:util';
import { parseDuration, UsageError } from './usage.js';

export const CLAIM_USAGE = `  claim --colour green|yellow|red --valid-for 30d [--scope S1,S2] [--holder] [--link-ttl 7d] [--svg FILE] [--json]
                                      one-time claim link for the wallet page (--holder: pass tied to the phone)`;

type Values = Record<string, string | boolean | undefined>;

/** What admin.ts lends this command: its option parser, API client and output helpers. */
export interface AdminTools {
  parse(argv: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] };
  client(values: Values): { call<T>(method: string, path: string, body?: unknown): Promise<T> };
  writeOut(file: string, data: string): void;
  help(): number;
}

interface Created {
  claim: { id: string; expiresAt: number; holderBound: boolean; passId: string | null };
  url: string;
  qrSvg: string;
  text: string | null;
}

const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000', '');

export async function claimCommand(argv: string[], tools: AdminTools): Promise<number> {
  const { values } = tools.parse(argv, {
    colour: { type: 'string' },
    'valid-for': { type: 'string' },
    scope: { type: 'string' },
    holder: { type: 'boolean' },
    'link-ttl': { type: 'string' },
    svg: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values['help']) return tools.help();
  const colour = values['colour'] as string | undefined;
  if (!colour || !['green', 'yellow', 'red'].includes(colour))
    throw new UsageError('--colour must be green, yellow or red');
  const validFor = parseDuration((values['valid-for'] as string | undefined) ?? '', '--valid-for');
  const ttl = values['link-ttl'] as string | undefined;
  const scopeText = values['scope'] as string | undefined;
  const scope =
    scopeText === undefined || scopeText === 'all'
      ? 'all'
      : scopeText
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
  const out = await tools.client(values).call<Created>('POST', '/api/admin/claims', {
    colour,
    validForSeconds: validFor,
    scope,
    holderBound: values['holder'] === true,
    ...(ttl === undefined ? {} : { claimTtlSeconds: parseDuration(ttl, '--link-ttl') }),
  });
  if (values['svg']) tools.writeOut(values['svg'] as string, out.qrSvg);
  if (values['json']) {
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
