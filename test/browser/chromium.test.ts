// Which Chromium the browser tests use, and when they skip or fail: the choice is a pure function of the
// environment, the platform and which files exist, so every branch is tested here without changing the machine.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, chooseChromium, skipReason, type ChooseOptions } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = '/x/node_modules/@sparticuz/chromium';
const base: ChooseOptions = {
  env: {},
  platform: 'linux',
  arch: 'x64',
  exists: (p) => p === `${PKG}/bin/chromium.br` || p === '/usr/bin/chromium',
  npmPackageDir: PKG,
};

describe('chooseChromium', () => {
  it('takes GATECODE_CHROMIUM first, then the npm-shipped browser, then a system one', () => {
    expect(chooseChromium({ ...base, env: { GATECODE_CHROMIUM: '/opt/c/chrome' } })).toMatchObject({
      kind: 'env',
      path: '/opt/c/chrome',
    });
    expect(chooseChromium(base)).toMatchObject({ kind: 'npm', packageDir: PKG });
    expect(chooseChromium({ ...base, npmPackageDir: null })).toMatchObject({
      kind: 'system',
      path: '/usr/bin/chromium',
    });
  });

  it('uses a system Chromium where the npm package has no binary (arm64, e.g. a Raspberry Pi)', () => {
    expect(chooseChromium({ ...base, arch: 'arm64' })).toMatchObject({ kind: 'system', path: '/usr/bin/chromium' });
    const chrome = chooseChromium({ ...base, arch: 'arm64', exists: (p) => p === '/usr/bin/google-chrome' });
    expect(chrome).toMatchObject({ kind: 'system', path: '/usr/bin/google-chrome' });
  });

  it('says why there is none', () => {
    const none = chooseChromium({ ...base, arch: 'arm64', exists: () => false });
    expect(none.kind).toBe('none');
    expect(none).toMatchObject({ reason: expect.stringContaining('ships Linux x64 only (this is linux arm64)') });
    expect(chooseChromium({ ...base, npmPackageDir: null, exists: () => false })).toMatchObject({
      reason: expect.stringMatching(/is not installed and none of \/usr\/bin\/chromium, .* exists$/),
    });
  });
});

describe('skipReason', () => {
  const none = chooseChromium({ ...base, npmPackageDir: null, exists: () => false });

  it('skips with one line saying why and how to get a browser', () => {
    const why = skipReason(none, {})!;
    expect(why).toMatch(/^browser tests skipped: no Chromium: .*; run `npm ci`.* or set GATECODE_CHROMIUM/);
    expect(why).not.toContain('\n');
  });

  it('refuses to skip under CI', () => {
    expect(() => skipReason(none, { CI: 'true' })).toThrow(/^browser tests cannot run under CI: no Chromium/);
  });

  it('does not skip when there is a browser', () => {
    expect(skipReason(chooseChromium(base), { CI: 'true' })).toBeNull();
  });
});

describe('this machine (global setup run as vitest runs it)', () => {
  it('accepts the browser found here under CI=true (and fails when there is none)', async () => {
    // The global setup, in a child process with CI set: it must not throw when a browser is found here, must say
    // which one, and must make the same choice as this process.
    const script =
      "const m = await import('./test/browser/global-setup.ts'); m.default(); " +
      "const c = await import('./test/browser/chromium.ts'); console.log(c.CHROMIUM.kind);";
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: ROOT, env: { ...process.env, CI: 'true' }, timeout: 60_000 },
        (err, stdout) => resolve({ code: err ? 1 : 0, stdout }),
      );
    });
    if (CHROMIUM.kind === 'none') {
      expect(r.code).toBe(1);
      return;
    }
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([`browser tests use ${CHROMIUM.note}`, CHROMIUM.kind]);
    if (CHROMIUM.kind === 'npm') {
      expect(
        fs.existsSync(path.join(ROOT, 'node_modules/.cache/gatecode-chromium', CHROMIUM.version, 'chromium')),
      ).toBe(true);
    }
  });
});
