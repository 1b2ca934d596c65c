import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { savePhoneScene } from '../../hardware/camera/sim/scene.js';
import { gatecodeInProcess } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function gatecode(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/gatecode.js', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const GATE = 'test/fixtures/corpus/gate'; // relative to ROOT, the working directory of the runs
const gateManifest = JSON.parse(fs.readFileSync(path.join(ROOT, GATE, 'manifest.json'), 'utf8')) as {
  file: string;
  expected: string;
}[];
const expectedOf = (file: string): string => gateManifest.find((e) => e.file === file)!.expected;

describe('gatecode decode', () => {
  it('prints one JSON line per image with the text and the decode time', { timeout: 60_000 }, async () => {
    const files = ['images/ph-9433c22049.png', 'images/ph-047909d62e.jpg'];
    const blank = path.join(dir, 'blank.png');
    await savePhoneScene('unused', { seed: 1, codeSize: 0.1, blur: 8 }, blank); // code far too small and blurred to read
    const args = [...files.map((f) => `${GATE}/${f}`), blank];
    const r = await gatecode(['decode', ...args]);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; text: string | null; ms: number });
    expect(lines).toHaveLength(3);
    lines.forEach((l, i) => {
      expect(Object.keys(l).sort()).toEqual(['file', 'ms', 'text']);
      expect(l.file).toBe(args[i]);
      expect(l.ms).toBeGreaterThan(0);
    });
    expect(lines[0]!.text).toBe(expectedOf(files[0]!));
    expect(lines[1]!.text).toBe(expectedOf(files[1]!));
    expect(lines[2]!.text).toBeNull();
    expect(r.code).toBe(1); // one image had no readable code
  });

  it('reads with jsqr when asked, and exits 0 when every image was read', { timeout: 60_000 }, async () => {
    const file = 'images/ph-9433c22049.png';
    const r = await gatecode(['decode', '--engine', 'jsqr', '--strategies', 'plain', `${GATE}/${file}`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ text: expectedOf(file) });
  });

  it(
    'reports unreadable files and bad options on stderr with exit 2, and prints usage on --help',
    { timeout: 90_000 },
    async () => {
      const notImage = path.join(dir, 'notes.txt');
      fs.writeFileSync(notImage, 'hello');
      const badArgs = [['--engine', 'zbar', 'x.png'], ['--strategies', 'plain,magic', 'x.png'], ['--bogus'], []];
      // The unreadable files as a process of its own (the exit status and stderr as a shell sees them); the usage
      // and the bad options run the same main() in process (test/support/cli.ts), without a tsx start each.
      const spawned = gatecode(['decode', path.join(dir, 'missing.png'), notImage]);
      const help = await gatecodeInProcess(['decode', '--help']);
      const bad = [];
      for (const a of badArgs) bad.push(await gatecodeInProcess(['decode', ...a]));
      const r = await spawned;
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/missing\.png: ENOENT/);
      expect(r.stderr).toMatch(/not a readable image/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      bad.forEach((b, i) => {
        expect(b.code, badArgs[i]!.join(' ')).toBe(2);
        expect(b.stderr).toMatch(/^gatecode decode: /);
      });
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/usage: gatecode decode IMAGE/);
    },
  );
});
