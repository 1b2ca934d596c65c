// The `device` and `scan` commands as real processes (node bin/gatecode.js), on files written to a temp dir.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savePhoneScene } from '../../hardware/camera/sim/scene.js';
import { Deployment, SITE } from '../support/deployment.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/gatecode.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function gatecode(
  args: string[],
  opts: { onStdout?: (text: string, kill: () => void) => void; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; stdout: ${stdout}; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 50_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      opts.onStdout?.(stdout, () => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let dir: string;
const d = new Deployment();
const now = new Date().toISOString();
const nowS = Math.floor(Date.now() / 1000);
let green: { text: string; revocationId: string; expiresAt: number };
let revoked: { text: string; revocationId: string; expiresAt: number };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  // Trust data issued an hour before the real clock: the device process runs on the system clock.
  const at = { issuedAt: nowS - 3600, notBefore: nowS - 3600, expiresAt: nowS + 86_400 };
  fs.writeFileSync(path.join(dir, 'bundle.cose'), d.bundleBytes({ issuedAt: nowS - 3600, sunset: nowS + 86_400 * 30 }));
  fs.writeFileSync(path.join(dir, 'root.pub'), d.rootPublicKey + '\n');
  green = d.pass(at);
  revoked = d.pass(at);
  fs.writeFileSync(
    path.join(dir, 'revocations.cose'),
    d.revocationSnapshot([{ revocationId: revoked.revocationId, expiresAt: revoked.expiresAt }], 1, nowS - 1800),
  );
  await savePhoneScene(green.text, { seed: 11, blur: 0.8 }, path.join(dir, 'a-green.png'));
  await savePhoneScene(revoked.text, { seed: 12, perspective: 0.3 }, path.join(dir, 'b-revoked.png'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('gatecode scan', { timeout: 60_000 }, () => {
  it('prints one JSON line per image with text, colour, reason and timings', async () => {
    const r = await gatecode([
      'scan',
      path.join(dir, 'a-green.png'),
      path.join(dir, 'b-revoked.png'),
      '--bundle',
      path.join(dir, 'bundle.cose'),
      '--revocations',
      path.join(dir, 'revocations.cose'),
      '--site',
      SITE,
      '--now',
      now,
      '--root-key',
      path.join(dir, 'root.pub'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({
      text: green.text,
      colour: 'green',
      reason: 'OK',
      opens: true,
      signature: 'verified',
    });
    expect(out[1]).toMatchObject({
      text: revoked.text,
      colour: 'red',
      reason: 'REVOKED',
      opens: false,
      note: 'pass revoked',
    });
    for (const o of out) {
      const ms = o['ms'] as Record<string, number>;
      expect(ms['decode']).toBeGreaterThan(0);
      expect(ms['verify']).toBeGreaterThan(0);
      expect(ms['decide']).toBeGreaterThanOrEqual(0);
    }
  });

  it('says when the trust files were read without a root key', async () => {
    const r = await gatecode([
      'scan',
      path.join(dir, 'a-green.png'),
      '--bundle',
      path.join(dir, 'bundle.cose'),
      '--now',
      now,
    ]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)[0]).toMatchObject({ colour: 'green', signature: 'not checked' });
  });

  it('exits 2 with one line for usage errors and unreadable files', async () => {
    const noBundle = await gatecode(['scan', path.join(dir, 'a-green.png')]);
    expect(noBundle.code).toBe(2);
    expect(noBundle.stderr.trim().split('\n')).toHaveLength(1);
    const missing = await gatecode(['scan', path.join(dir, 'a-green.png'), '--bundle', path.join(dir, 'nope.cose')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});

describe('gatecode device', { timeout: 60_000 }, () => {
  it('runs a replayed camera on simulated hardware, logs verdicts without pass data, and ends cleanly', async () => {
    const config = {
      site: SITE,
      gate: 'north-1',
      dataDir: path.join(dir, 'data'),
      // this test machine may have no NTP or RTC: the host keeps the time (see the trusted-time tests)
      clockTrust: 'host',
      camera: {
        source: 'replay',
        replay: { files: [path.join(dir, 'a-green.png'), path.join(dir, 'b-revoked.png')], fps: 1, loop: false },
      },
      hardware: { gpio: 'sim', leds: 'sim' },
      presence: { leaveFrames: 1 },
      trust: {
        rootPublicKey: d.rootPublicKey,
        bundleFile: path.join(dir, 'bundle.cose'),
        revocationsFile: path.join(dir, 'revocations.cose'),
      },
    };
    const file = path.join(dir, 'device.json');
    fs.writeFileSync(file, JSON.stringify(config));
    const r = await gatecode(['device', '--config', file]);
    expect(r.code).toBe(0);
    const decisions = lines(r.stdout).filter((l) => l['msg'] === 'decision');
    expect(decisions.map((l) => [l['colour'], l['reason'], l['opened']])).toEqual([
      ['green', 'OK', true],
      ['red', 'REVOKED', false],
    ]);
    expect(decisions[0]?.['pass']).toMatch(/^[0-9a-f]{16}$/);
    expect(r.stdout).not.toContain('GC1:');
    expect(r.stdout).toContain('device stopped');
  });

  it('stops on SIGTERM with exit 0', async () => {
    const file = path.join(dir, 'idle.yaml');
    fs.writeFileSync(
      file,
      `site: ${SITE}\ngate: g2\ndataDir: ${path.join(dir, 'data2')}\ncamera: { source: sim }\nhardware: { gpio: sim, leds: sim }\n`,
    );
    const r = await gatecode(['device', '--config', file], {
      onStdout: (text, kill) => {
        if (text.includes('device started')) kill();
      },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"signal":"SIGTERM"');
    expect(r.stdout).toContain('device stopped');
  });

  it('reports every config problem at once and exits 2', async () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'site: north\nrelay: { pin: 99 }\ncolour: blue\n');
    const r = await gatecode(['device', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gate/);
    expect(r.stderr).toMatch(/relay\.pin/);
    expect(r.stderr).toMatch(/colour: unknown key/);
  });
});
