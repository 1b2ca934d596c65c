// The README's offline example, run exactly as written: the commands are read out of README.md, so the document and
// this test cannot drift apart. They run in a fresh scratch folder under the checkout's .tmp/ (git ignores it; `npx`
// finds gatecode from any folder under the checkout), and what the README says about their output and about a stale
// bundle is checked against what the commands do.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { gatecodeInProcess } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'readme-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The indented code block that follows the paragraph starting with `lead`, one command per line. */
function codeBlockAfter(markdown: string, lead: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(lead));
  if (start < 0) throw new Error(`README.md has no paragraph starting "${lead}"`);
  let i = start;
  while (i < lines.length && !lines[i]!.startsWith('    ')) i++;
  const block: string[] = [];
  while (i < lines.length && lines[i]!.startsWith('    ')) block.push(lines[i++]!.slice(4));
  return block;
}

/** The paragraph of the README that contains `word`. */
function paragraphWith(markdown: string, word: string): string {
  const p = markdown.split(/\n\s*\n/).find((para) => para.includes(word));
  if (!p) throw new Error(`README.md never mentions ${word}`);
  return p.replace(/\s+/g, ' ');
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 150_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

interface ScanLine {
  colour: string | null;
  reason: string | null;
  signature: string;
}

const commands = codeBlockAfter(README, 'A gate offline, from files only');
const stale = paragraphWith(README, 'BUNDLE_STALE');

describe('the README offline example', () => {
  let work = '';

  it('runs as written and prints what the README says', { timeout: 180_000 }, async () => {
    expect(commands.length).toBeGreaterThanOrEqual(4);
    expect(commands.filter((c) => c.startsWith('npx gatecode ')).length).toBeGreaterThanOrEqual(4);
    const script = ['set -euo pipefail', ...commands, 'pwd'].join('\n');
    const r = await run('bash', ['-c', script], dir);
    expect(r.stderr).not.toMatch(/npm (error|ERR)/);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n');
    work = out.pop()!; // the folder the example ended in
    expect(work.startsWith(dir)).toBe(true);
    const scan = out.at(-1)!;
    expect(JSON.parse(scan)).toMatchObject({ colour: 'green', reason: 'OK', signature: 'verified' });
    // every JSON fragment the README quotes for the last line is in it, byte for byte
    const quoted = [...paragraphWith(README, 'The last line prints').matchAll(/`("[^`]+)`/g)].map((m) => m[1]!);
    expect(quoted.length).toBeGreaterThanOrEqual(2);
    for (const q of quoted) expect(scan).toContain(q);
    for (const f of ['keys/root.key', 'keys/root.pub', 'keys/issuer.key', 'bundle.cose', 'pass.png']) {
      expect(fs.existsSync(path.join(work, f)), f).toBe(true);
    }
  });

  it(
    'turns yellow with BUNDLE_STALE past the max offline age the README states, and --max-offline moves it',
    {
      timeout: 180_000,
    },
    async () => {
      expect(work, 'the example ran').not.toBe('');
      const hours = Number(/(\d+) h by default/.exec(stale)?.[1]);
      const other = /for example `--max-offline (\d+)d`/.exec(stale)?.[1];
      expect(hours).toBe(48);
      expect(other).toBeDefined();
      const otherHours = Number(other) * 24;
      // The README's own commands ran as processes above; these checks call the CLI in process (test/support/cli.ts).
      const w = (name: string): string => path.join(work, name);
      const created = await gatecodeInProcess([
        'bundle',
        'create',
        '--root-key',
        w('keys/root.key'),
        '--issuer-key',
        w('keys/issuer.key'),
        '--max-offline',
        `${other}d`,
        '--out',
        w('bundle-long.cose'),
      ]);
      expect(created.code, created.stderr).toBe(0);
      const at = (h: number): string => new Date(Date.now() + h * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const scan = async (bundle: string, h: number): Promise<ScanLine> => {
        const r = await gatecodeInProcess([
          'scan',
          w('pass.png'),
          '--bundle',
          w(bundle),
          '--root-key',
          w('keys/root.pub'),
          '--now',
          at(h),
        ]);
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as ScanLine;
      };
      const fresh = await scan('bundle.cose', hours - 1);
      const old = await scan('bundle.cose', hours + 1);
      const long = await scan('bundle-long.cose', hours + 1);
      const longOld = await scan('bundle-long.cose', otherHours + 1);
      expect(fresh).toMatchObject({ colour: 'green', reason: 'OK' });
      expect(old).toMatchObject({ colour: 'yellow', reason: 'BUNDLE_STALE', signature: 'verified' });
      expect(long).toMatchObject({ colour: 'green', reason: 'OK' });
      expect(longOld).toMatchObject({ colour: 'yellow', reason: 'BUNDLE_STALE' });
    },
  );
});
