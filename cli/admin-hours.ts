// `gatecode admin policy --hours FILE.json | --no-hours`: opening hours from a file in their written form
// (docs/protocol.md, _Opening hours_), checked here first so that every problem is listed with its hint before
// anything is sent; the server checks them again.
import fs from 'node:fs';
import { HOURS_PROBLEMS, hoursHint, parseHoursJson } from '../protocol/index.js';
import type { HoursProblemCode, OpeningHoursJson } from '../protocol/index.js';
import { UsageError } from './usage.js';

function problemsText(problems: readonly { code: string; path: string; hint: string }[]): string {
  return problems.map((p) => `  ${p.path}: ${p.code}: ${p.hint}`).join('\n');
}

/** The hours in a JSON file (`-` reads stdin), in the canonical written form; a UsageError lists every problem. */
export function readHoursFile(file: string): OpeningHoursJson {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`--hours: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--hours: ${file} is not JSON`);
  }
  const r = parseHoursJson(value);
  if (!r.ok) throw new UsageError(`--hours: ${file} has ${r.problems.length} problem(s):\n${problemsText(r.problems)}`);
  return value as OpeningHoursJson;
}

/** The server's detail `hours:CODE@path,…` as lines with hints (for a refusal the local check did not foresee). */
export function explainHoursDetail(detail: string): string {
  const problems = detail
    .slice('hours:'.length)
    .split(',')
    .map((item) => {
      const [code = '', path = ''] = item.split('@');
      const known = (HOURS_PROBLEMS as readonly string[]).includes(code);
      return { code, path, hint: known ? hoursHint(code as HoursProblemCode) : 'see docs/protocol.md' };
    });
  return `: the opening hours were refused:\n${problemsText(problems)}`;
}
