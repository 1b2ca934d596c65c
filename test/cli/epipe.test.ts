// A reader that goes away (`gatecode check | head -1`, `gatecode setup ... | head`): the command finishes its work
// quietly and exits with its own status, never an unhandled EPIPE stack trace, and setup still writes every file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../../bin/gatecode.js');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-epipe-'));
  fs.writeFileSync(path.join(dir, 'gate.yaml'), 'site: hq\ngate: g1\nrelay: { pin: 17, polarity: active-low }\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Run with stdout's reading end closed before the command writes anything. */
function withClosedStdout(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('stdout closed by the reader', { timeout: 60_000 }, () => {
  it('gatecode check exits by its worst item, without a stack trace', async () => {
    const r = await withClosedStdout([
      'check',
      '--root',
      path.join(dir, 'empty'),
      '--config',
      path.join(dir, 'gate.yaml'),
    ]);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.status).toBe(3);
  });

  it('gatecode setup still writes every file and exits 0', async () => {
    const root = path.join(dir, 'root');
    const r = await withClosedStdout(['setup', '--root', root, '--config', path.join(dir, 'gate.yaml')]);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(root, 'boot/firmware/config.txt'), 'utf8')).toContain('gpio=17=op,dh');
    expect(fs.existsSync(path.join(root, 'etc/systemd/system/gatecode-device.service'))).toBe(true);
  });
});
