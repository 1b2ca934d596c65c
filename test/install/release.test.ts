// The release artefact: `npm pack` (prepack builds dist/) gives a tarball without the TypeScript sources, whose
// bin/gatecode.js runs the compiled code — the device starts on simulated parts with its decoder worker, the
// status page assets resolve, and setup runs — with no tsx involved.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');
let dir: string;
let pkg: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-release-'));
  const r = spawnSync('npm', ['pack', '--pack-destination', dir, '--silent'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 170_000,
  });
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  const tgz = path.join(dir, r.stdout.trim().split('\n').at(-1) as string);
  spawnSync('tar', ['-xzf', tgz, '-C', dir]);
  pkg = path.join(dir, 'package');
  // the installer's `npm ci --omit=dev` gives node_modules; the repository's serves here (no network in tests)
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(pkg, 'node_modules'));
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('release tarball', { timeout: 60_000 }, () => {
  it('holds dist/, the pages and the guide, and no TypeScript sources or tests', () => {
    for (const f of [
      'bin/gatecode.js',
      'dist/cli/main.js',
      'dist/device/decode/worker-entry.mjs',
      'dist/device/decode/worker.js',
      'dist/device/status/page/index.html',
      'dist/sync-server/admin-page/index.html',
      'hardware/INSTALL.md',
    ]) {
      expect(fs.existsSync(path.join(pkg, f)), f).toBe(true);
    }
    expect(fs.existsSync(path.join(pkg, 'cli/main.ts'))).toBe(false);
    expect(fs.existsSync(path.join(pkg, 'test'))).toBe(false);
  });

  it('runs the compiled device: starts, serves its status page, stops on SIGTERM with exit 0', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const config = path.join(dir, 'device.yaml');
    fs.writeFileSync(
      config,
      `site: hq\ngate: g1\ndataDir: ${path.join(dir, 'data')}\ncamera: { source: sim }\n` +
        `hardware: { gpio: sim, leds: sim }\nstatusPage: { enabled: true, port: ${port} }\n`,
    );
    const child = spawn(process.execPath, [path.join(pkg, 'bin/gatecode.js'), 'device', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // a tsx loader would fail loudly: there is no source to load
      env: { ...process.env, GATECODE_RUN: '' },
    });
    let out = '';
    let page = '';
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('"device started"')) resolve();
      });
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await Promise.race([started, closed]);
    const url = /"url":"(http:[^"]+)"/.exec(out)?.[1];
    if (url) page = await (await fetch(url)).text();
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    expect(err).toBe('');
    expect(out).toContain('device stopped');
    expect(page).toContain('<title>');
  });

  it('runs setup from the release against a temp root', () => {
    const config = path.join(dir, 'low.yaml');
    fs.writeFileSync(config, 'site: hq\ngate: g1\nrelay: { pin: 17, polarity: active-low }\n');
    const root = path.join(dir, 'root');
    const r = spawnSync(
      process.execPath,
      [path.join(pkg, 'bin/gatecode.js'), 'setup', '--root', root, '--config', config],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    const unit = fs.readFileSync(path.join(root, 'etc/systemd/system/gatecode-device.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} --max-semi-space-size=1 ${pkg}/bin/gatecode.js device`);
    expect(unit).toMatch(/^ExecStopPost=\+\/usr\/bin\/pinctrl set 17 op dh$/m);
  });
});
