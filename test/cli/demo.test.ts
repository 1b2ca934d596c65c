// Runs the real demo (`node bin/gatecode.js demo`) as a user would and checks its summary: every pass got its
// expected colour and reason, and the process exits 0.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gatecodeInProcess } from '../support/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function gatecode(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/gatecode.js', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const EXPECTED: Record<string, string> = {
  'green pass': 'green/OK',
  'yellow pass': 'yellow/OK',
  'red pass': 'red/OK',
  'revoked pass': 'red/REVOKED',
  'expired pass': 'red/EXPIRED',
  'pass for another site': 'red/WRONG_SCOPE',
  'forged pass': 'red/BAD_SIGNATURE',
  'wallet pass (live code)': 'green/OK',
  'stale wallet screenshot': 'red/PROOF_STALE',
};

describe('gatecode demo', () => {
  it('runs server and device, and every pass gets its expected verdict', async () => {
    const { code, stdout, stderr } = await gatecode(['demo'], 90_000);
    expect(stderr).toBe('');
    const rows = new Map<string, { ok: string; expected: string; got: string }>();
    for (const line of stdout.split('\n')) {
      const m = /^ {2}(ok|WRONG) +(.+?) {2,}(\S+) → (\S+)/.exec(line);
      if (m) rows.set(m[2] as string, { ok: m[1] as string, expected: m[3] as string, got: m[4] as string });
    }
    expect([...rows.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [label, want] of Object.entries(EXPECTED)) {
      expect(rows.get(label), label).toEqual({ ok: 'ok', expected: want, got: want });
    }
    expect(stdout).toContain('9 of 9 passes got the expected verdict.');
    expect(stdout).toMatch(/green .*OK \(valid pass\)/i); // the per-code line, verdict text next to colour
    expect(stdout).toMatch(/relay pulsed \d+ ms/);
    expect(code).toBe(0);
  }, 100_000);

  it('prints its usage with --help and refuses unknown options with one line and exit 2', async () => {
    // In process (test/support/cli.ts): the run above is the spawned one.
    const help = await gatecodeInProcess(['demo', '--help']);
    const bad = await gatecodeInProcess(['demo', '--colour']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--keep');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  }, 30_000);

  it.skipIf(fs.existsSync('/dev/video0') || fs.existsSync('/dev/v4l/by-id'))(
    'says clearly that there is no webcam on a machine without one',
    async () => {
      const r = await gatecodeInProcess(['demo', '--webcam']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no USB camera found/);
    },
    30_000,
  );
});
