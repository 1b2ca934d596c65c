// The project must run from a fresh clone: no code or test may reach outside the repository (a sibling corpus
// folder, a path of one developer's machine). This scans every code file under the source folders, bench/ and test/
// for relative paths that climb out of the repository and for absolute paths into home or work folders.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FOLDERS = ['protocol', 'device', 'hardware', 'sync-server', 'cli', 'bin', 'bench', 'test', '.ci'];
const CODE = /\.(?:[cm]?[jt]s|json|html|css|ya?ml|sh|service)$|^run$/;

/** Every code file under the folders, plus the code files at the root (configs, package.json). */
function codeFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (CODE.test(d.name)) out.push(p);
    }
  };
  for (const f of FOLDERS) if (fs.existsSync(path.join(ROOT, f))) walk(path.join(ROOT, f));
  for (const d of fs.readdirSync(ROOT, { withFileTypes: true })) {
    if (d.isFile() && CODE.test(d.name)) out.push(path.join(ROOT, d.name));
  }
  return out;
}

// A run of `../` segments inside a string or comment, with what follows it.
const UP = /(?:\.\.\/)+[\w@.$/{}-]*/g;
// Absolute paths that only exist on one machine.
const ABSOLUTE = /(?<![\w.])\/(?:work|home|Users|root|mnt|srv)\/[\w.-]/;
// The sibling folder that holds the full corpora, however it is reached.
const SIBLING = /\.\.['"`]?\s*[,/+]\s*['"`]?shared\b/;

// Files whose `../` strings are import patterns (globs matched against module specifiers), not paths.
const PATTERN_FILES = new Set(['eslint.config.js']);
const SELF = fileURLToPath(import.meta.url);

/** Why a line of `file` refers outside the repository root `root`, or null when it does not. */
function outsideReference(root: string, file: string, line: string): string | null {
  if (ABSOLUTE.test(line)) return 'absolute path of a machine';
  if (SIBLING.test(line)) return 'the sibling shared/ folder';
  if (PATTERN_FILES.has(path.relative(root, file))) return null;
  for (const m of line.matchAll(UP)) {
    const up = m[0].match(/^(?:\.\.\/)+/)![0];
    const target = path.resolve(path.dirname(file), up);
    const rel = path.relative(root, target);
    if (rel.startsWith('..') || path.isAbsolute(rel))
      return `${m[0]} climbs out of the repository from ${path.relative(root, file)}`;
  }
  return null;
}

describe('no file reaches outside the repository', () => {
  it('finds no reference outside the root in code, tests, benchmarks or CI', () => {
    const files = codeFiles().filter((f) => f !== SELF); // its own examples below are meant to be caught
    expect(files.length).toBeGreaterThan(100);
    const found: string[] = [];
    for (const f of files) {
      fs.readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const why = outsideReference(ROOT, f, line);
          if (why) found.push(`${path.relative(ROOT, f)}:${i + 1}: ${why}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it('catches the ways a test used to reach the shared corpora, and passes ordinary imports', () => {
    const sib = '..' + '/shared';
    const inTest = (rel: string): string => path.join(ROOT, rel);
    const cases: [string, string, boolean][] = [
      ['test/cli/decode.test.ts', `fs.readFileSync(path.join(ROOT, '${sib}/gate-corpus/manifest.json'))`, true],
      ['test/hardware/image-file.test.ts', `new URL('../../.${sib}/gate-corpus/images/', import.meta.url)`, true],
      ['bench/corpus.ts', `path.resolve(import.meta.dirname, '../.${sib}')`, true],
      ['bench/corpus.ts', `path.join(ROOT, '..', 'shared', 'qr-corpus')`, true],
      ['test/x.test.ts', `const p = '/${'work'}/shared/gate-corpus';`, true],
      ['test/x.test.ts', `const p = '/${'home'}/pi/corpus';`, true],
      ['test/device/decode/a.test.ts', `import { x } from '../../../protocol/index.js';`, false],
      ['test/cli/decode.test.ts', `const ROOT = fileURLToPath(new URL('../../', import.meta.url));`, false],
      ['test/cli/decode.test.ts', `const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));`, false],
      ['device/status/page.ts', `res.send('/api/status'); // ../ in prose: see ../docs`, false],
    ];
    for (const [file, line, bad] of cases) {
      expect(outsideReference(ROOT, inTest(file), line) !== null, `${file}: ${line}`).toBe(bad);
    }
  });
});
