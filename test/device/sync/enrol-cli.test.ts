// `gatecode device enrol` (cli/enrol.ts) against a real server on loopback and a real store in a data directory.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run, STORE_FILE } from '../../../cli/enrol.js';
import { exitCodeFor } from '../../../cli/usage.js';
import { openStore } from '../../../device/store/index.js';
import { readEnrolment } from '../../../device/trust/enrolment.js';
import { startRealServer } from '../../support/real-server.js';

let env: Awaited<ReturnType<typeof startRealServer>>;

beforeAll(async () => {
  env = await startRealServer();
});
afterAll(async () => {
  await env?.stop();
});

function captureOutput(): { out: () => string; err: () => string; restore: () => void } {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  return { out: () => out, err: () => err, restore: () => (o.mockRestore(), e.mockRestore()) };
}

describe('gatecode device enrol', () => {
  it('enrols the store of the config’s data dir, named after the gate, and refuses the code a second time', async () => {
    const dataDir = path.join(env.dir, 'gate-a');
    const config = path.join(env.dir, 'gate-a.yaml');
    fs.writeFileSync(config, `site: hq\ngate: north-1\ndataDir: ${JSON.stringify(dataDir)}\n`);
    const uri = await env.admin.enrolmentUri();
    const io = captureOutput();
    let code: number;
    try {
      code = await run(['--config', config, '--code', uri]);
    } finally {
      io.restore();
    }
    expect(code).toBe(0);
    expect(io.out()).toMatch(
      /^enrolled as device [0-9a-f]+ with http:\/\/127\.0\.0\.1:\d+; root key [0-9A-Z-]+ pinned; trust data: bundle \d+, revocations \d+\n$/,
    );
    const store = openStore(path.join(dataDir, STORE_FILE));
    expect(readEnrolment(store)?.serverUrl).toBe(env.server.url);
    store.close();
    const devices = await env.admin.call<{ devices: { name: string }[] }>('GET', '/api/admin/devices');
    expect(devices.body.devices.map((d) => d.name)).toContain('north-1');

    const again = captureOutput();
    try {
      expect(await run(['--data', path.join(env.dir, 'gate-b'), '--code', uri])).toBe(1);
    } finally {
      again.restore();
    }
    expect(again.err()).toContain('ENROL_REFUSED');
    expect(again.err()).not.toContain(new URL(uri.replace('gatecode-enrol:', 'http://x/')).searchParams.get('c')!);
  });

  it('refuses a second enrolment of the same store unless --reenrol is given', async () => {
    const dataDir = path.join(env.dir, 'gate-c');
    const io = captureOutput();
    try {
      expect(await run(['--data', dataDir, '--code', await env.admin.enrolmentUri(), '--name', 'c'])).toBe(0);
      expect(await run(['--data', dataDir, '--code', await env.admin.enrolmentUri()])).toBe(1);
      expect(io.err()).toContain('ALREADY_ENROLLED');
      expect(await run(['--data', dataDir, '--code', await env.admin.enrolmentUri(), '--reenrol'])).toBe(0);
    } finally {
      io.restore();
    }
  });

  it.each([
    [['--data', 'x'], /--code URI is required/],
    [['--code', 'gatecode-enrol:?u=http://a&c=ABCDEFGH&fp=ABCD'], /--config FILE or --data DIR/],
    [['--data', 'x', '--config', 'y', '--code', 'z'], /--config FILE or --data DIR/],
    [['--data', 'x', '--code', 'https://not-an-enrolment-code'], /enrolment code/],
    [['--config', '/nonexistent/gate.yaml', '--code', 'gatecode-enrol:?u=http://a&c=ABCDEFGH&fp=ABCD'], /cannot read/],
    [['--bogus'], /bogus/],
  ])('reports usage errors with exit code 2: %j', async (argv, message) => {
    const cwd = process.cwd();
    process.chdir(env.dir);
    try {
      const err = await run(argv).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(exitCodeFor(err)).toBe(2);
      expect((err as Error).message).toMatch(message);
    } finally {
      process.chdir(cwd);
    }
  });

  it('enrols the same store file the device opens', async () => {
    const boot = await import('../../../device/boot.js');
    expect(STORE_FILE).toBe(boot.STORE_FILE);
  });

  it('prints its usage with --help', async () => {
    const io = captureOutput();
    try {
      expect(await run(['--help'])).toBe(0);
    } finally {
      io.restore();
    }
    expect(io.out()).toContain('gatecode device enrol --config FILE --code URI');
  });
});
