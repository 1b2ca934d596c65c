// How `gatecode device` ends, as a real process: faults a restart cannot mend exit 78 (the unit's
// RestartPreventExitStatus) with one "fatal:" line; a single replay file plays; a SIGTERM during start-up is
// honoured with the relay safe and exit 0.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savePhoneScene } from '../../hardware/camera/sim/scene.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/gatecode.js');
let dir: string;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function device(
  config: object,
  opts: { env?: NodeJS.ProcessEnv; onStdout?: (text: string, pid: number) => void } = {},
) {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({ site: 'hq', gate: 'g1', hardware: { gpio: 'sim', leds: 'sim' }, ...config }));
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'device', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (child.pid !== undefined) opts.onStdout?.(stdout, child.pid);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const logLines = (t: string) =>
  t
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-exit-'));
  await savePhoneScene('not a pass', { seed: 3 }, path.join(dir, 'one.png'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('gatecode device exit paths', { timeout: 60_000 }, () => {
  it('plays a replay list of one file (not ENOTDIR) and ends with exit 0', async () => {
    const r = await device({
      dataDir: path.join(dir, 'd1'),
      camera: { source: 'replay', replay: { files: [path.join(dir, 'one.png')], fps: 5, loop: false } },
    });
    expect(r.stdout).not.toContain('ENOTDIR');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('device stopped');
    expect(r.stdout).not.toContain('camera stream failed');
  });

  it('exits 78 with one fatal line when a replay file is missing', async () => {
    const r = await device({
      dataDir: path.join(dir, 'd2'),
      camera: { source: 'replay', replay: { files: [path.join(dir, 'missing.png')] } },
    });
    expect(r.code).toBe(78);
    const fatal = logLines(r.stdout).filter((l) => l['level'] === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ code: 'BAD_IMAGE', exitStatus: 78 });
    expect(String(fatal[0]?.['msg'])).toMatch(/^fatal: cannot replay .*missing\.png/);
  });

  it('exits 78 when the Pi camera binary is missing, instead of 0 and a restart loop', async () => {
    const r = await device(
      { dataDir: path.join(dir, 'd3'), camera: { source: 'rpicam' } },
      { env: { ...process.env, PATH: path.join(dir, 'empty-bin') } },
    );
    expect(r.code).toBe(78);
    expect(logLines(r.stdout).filter((l) => l['level'] === 60)).toMatchObject([{ code: 'BINARY_MISSING' }]);
  });

  it('honours a SIGTERM that arrives during start-up: exit 0, not killed by the signal', async () => {
    // "hardware ready" is logged while the decoder still loads, about a second before "device started".
    let sent = false;
    const r = await device(
      { dataDir: path.join(dir, 'd4'), camera: { source: 'sim' } },
      {
        onStdout: (text, pid) => {
          if (!sent && text.includes('"hardware ready"')) {
            sent = true;
            process.kill(pid, 'SIGTERM');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"signal":"SIGTERM"/);
    expect(r.stdout).toContain('device stopped');
  });
});
