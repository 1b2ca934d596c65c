// The protocol commands as a user runs them, on real files in a temp dir. The first run of each command (and every
// read of stdin) is a real `node bin/gatecode.js` process; the other cases of a test run the same main() in process
// (test/support/cli.ts), without a tsx start each.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsQRModule from 'jsqr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatecodeInProcess } from '../support/cli.js';

const BIN = path.resolve('bin/gatecode.js');
// jsqr is CommonJS: depending on the loader the function is the default export or wrapped once more in `default`.
type JsQR = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  options: { inversionAttempts: 'dontInvert' },
) => { data: string } | null;
const wrapped = jsQRModule as unknown as JsQR | { default: JsQR };
const jsQR: JsQR = typeof wrapped === 'function' ? wrapped : wrapped.default;
let dir: string;

function gatecode(args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** `gatecode ARGS` in process: the same code and the same output as the spawned command. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await gatecodeInProcess(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const f = (name: string): string => path.join(dir, name);
let pass = '';

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  expect(gatecode(['keys', 'init', '--dir', f('keys'), '--issuer', 'acme-events']).code).toBe(0);
  const b = gatecode([
    'bundle',
    'create',
    '--root-key',
    f('keys/root.key'),
    '--issuer-key',
    f('keys/issuer.key'),
    '--max-offline',
    '48h',
    '--sunset',
    '2027-06-01T00:00:00Z',
    '--now',
    '2026-11-01T00:00:00Z',
    '--out',
    f('bundle.cose'),
  ]);
  expect(b.code, b.err).toBe(0);
  const p = gatecode([
    'pass',
    'issue',
    '--issuer-key',
    f('keys/issuer.key'),
    '--colour',
    'green',
    '--valid-for',
    '30d',
    '--scope',
    'north-gate,south-gate',
    '--now',
    '2026-11-02T00:00:00Z',
    '--png',
    f('pass.png'),
    '--svg',
    f('pass.svg'),
  ]);
  expect(p.code, p.err).toBe(0);
  pass = p.out.trim();
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each spawn compiles the CLI through tsx: on a busy 2-core machine a few take seconds, so the timeout is generous.
describe('gatecode keys / bundle / pass / revocations', { timeout: 180_000 }, () => {
  it('keys init writes a 0600 root and issuer key with public keys beside them, and never overwrites', async () => {
    expect(statSync(f('keys/root.key')).mode & 0o777).toBe(0o600);
    expect(statSync(f('keys/issuer.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(f('keys/root.pub'), 'utf8')).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    const again = await cli(['keys', 'init', '--dir', f('keys')]);
    expect(again.code).toBe(2);
    expect(again.err.trim().split('\n')).toHaveLength(1);
    expect(again.err).toContain('already exists');
  });

  it('pass issue prints GC1: text under 400 characters and writes a QR code that decodes to it', async () => {
    expect(pass).toMatch(/^GC1:[0-9A-Z $%*+\-./:]+$/);
    expect(pass.length).toBeLessThan(400);
    const { data, info } = await sharp(f('pass.png')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const hit = jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height, {
      inversionAttempts: 'dontInvert',
    });
    expect(hit?.data).toBe(pass);
    expect(readFileSync(f('pass.svg'), 'utf8')).toContain('<svg');
  });

  it('pass inspect shows every field, marked unverified, from an argument or stdin', async () => {
    const r = gatecode(['pass', 'inspect', '-'], pass + '\n');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { verified: boolean; claims: Record<string, unknown> };
    expect(out.verified).toBe(false);
    expect(Object.keys(out.claims).sort()).toEqual([
      'colour',
      'expiresAt',
      'issuedAt',
      'issuer',
      'notBefore',
      'passId',
      'revocationId',
      'scope',
    ]);
    expect(out.claims['scope']).toEqual(['north-gate', 'south-gate']);
    const bad = await cli(['pass', 'inspect', 'HC1:XYZ']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toEqual({ verified: false, decodable: false, reason: 'BAD_PREFIX' });
  });

  it('pass verify prints one JSON verdict and exits 0 whatever the colour', async () => {
    const base = ['pass', 'verify', pass, '--bundle', f('bundle.cose'), '--root-key', f('keys/root.pub')];
    const green = gatecode([...base, '--now', '2026-11-03T00:00:00Z', '--site', 'north-gate']);
    expect(green.code).toBe(0);
    expect(green.out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(green.out)).toMatchObject({
      colour: 'green',
      reason: 'OK',
      action: 'open',
      bundle: { signature: 'verified' },
    });
    const wrongSite = JSON.parse((await cli([...base, '--now', '2026-11-03T00:00:00Z', '--site', 'east-gate'])).out);
    expect(wrongSite).toMatchObject({ colour: 'red', reason: 'WRONG_SCOPE', claims: null });
    const expired = await cli([...base, '--now', '2026-12-31T00:00:00Z', '--site', 'north-gate']);
    expect(expired.code).toBe(0);
    expect(JSON.parse(expired.out)).toMatchObject({ colour: 'red', reason: 'EXPIRED' });
    const stale = JSON.parse(
      (
        await cli([
          ...base,
          '--now',
          '2026-11-10T00:00:00Z',
          '--site',
          'north-gate',
          '--synced-at',
          '2026-11-05T00:00:00Z',
        ])
      ).out,
    );
    expect(stale).toMatchObject({ colour: 'yellow', reason: 'BUNDLE_STALE', action: 'attention' });
  });

  it('revocations create makes a signed list that pass verify honours', async () => {
    const made = gatecode([
      'revocations',
      'create',
      '--key',
      f('keys/root.key'),
      '--bundle',
      f('bundle.cose'),
      '--snapshot',
      '--to',
      '1',
      '--revoke-pass',
      pass,
      '--out',
      f('rev-1.cose'),
    ]);
    expect(made.code, made.err).toBe(0);
    // A snapshot starts a history; a delta must name the history it continues.
    const logId = /of history ([0-9a-f]{32})/.exec(made.out)?.[1];
    expect(logId).toMatch(/^[0-9a-f]{32}$/);
    const args = ['revocations', 'create', '--key', f('keys/root.key'), '--from', '1', '--to', '2'];
    const orphan = await cli([...args, '--out', f('rev-2.cose')]);
    expect(orphan.code).toBe(2);
    expect(orphan.err).toContain('--log-id');
    expect((await cli([...args, '--log-id', logId as string, '--out', f('rev-2.cose')])).code).toBe(0);
    const r = gatecode(
      [
        'pass',
        'verify',
        '-',
        '--bundle',
        f('bundle.cose'),
        '--root-key',
        f('keys/root.pub'),
        '--revocations',
        f('rev-1.cose'),
        '--now',
        '2026-11-03T00:00:00Z',
        '--site',
        'north-gate',
      ],
      pass,
    );
    expect(JSON.parse(r.out)).toMatchObject({
      colour: 'red',
      reason: 'REVOKED',
      revocations: { kind: 'snapshot', toSeq: 1, revoked: 1, signature: 'verified' },
    });
    // An issuer key is not allowed to sign revocation lists for this bundle.
    const refused = await cli([
      'revocations',
      'create',
      '--key',
      f('keys/issuer.key'),
      '--bundle',
      f('bundle.cose'),
      '--snapshot',
      '--to',
      '2',
      '--out',
      f('rev-2.cose'),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('neither the bundle');
  });

  it('usage errors and unreadable files: one line on stderr, exit 2, no stack trace', async () => {
    const cases = [
      ['pass', 'verify', pass, '--bundle', f('missing.cose')],
      ['pass', 'verify', pass, '--bundle', f('keys/root.pub')],
      ['pass', 'issue', '--issuer-key', f('keys/issuer.key'), '--colour', 'blue', '--valid-for', '30d'],
      ['bundle', 'create', '--root-key', f('keys/root.key'), '--out', f('x.cose')],
      ['pass', 'verify', pass, '--bundle', f('bundle.cose'), '--bogus'],
    ];
    for (const [i, args] of cases.entries()) {
      // The first as a process of its own: the exit status and stderr as a shell sees them.
      const r = i === 0 ? gatecode(args) : await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('--help prints the usage of each command', async () => {
    for (const cmd of ['revocations', 'pass']) {
      const r = await cli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`gatecode ${cmd}`);
    }
  });
});

describe('bundle create without --valid-from', () => {
  it('keeps passes verifiable that were issued with a key before the bundle was made', async () => {
    const own = mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
    try {
      const g = (name: string): string => path.join(own, name);
      expect((await cli(['keys', 'init', '--dir', g('keys')])).code).toBe(0);
      // The issuer key was made yesterday and a pass issued with it an hour later; the bundle is made today.
      const dayAgo = Date.now() / 1000 - 86_400;
      utimesSync(g('keys/issuer.key'), dayAgo, dayAgo);
      const issued = await cli([
        'pass',
        'issue',
        '--issuer-key',
        g('keys/issuer.key'),
        '--colour',
        'green',
        '--valid-for',
        '30d',
        '--now',
        new Date((dayAgo + 3600) * 1000).toISOString(),
      ]);
      expect(issued.code, issued.err).toBe(0);
      const made = await cli([
        'bundle',
        'create',
        '--root-key',
        g('keys/root.key'),
        '--issuer-key',
        g('keys/issuer.key'),
        '--out',
        g('b.cose'),
      ]);
      expect(made.code, made.err).toBe(0);
      const v = await cli([
        'pass',
        'verify',
        issued.out.trim(),
        '--bundle',
        g('b.cose'),
        '--root-key',
        g('keys/root.pub'),
      ]);
      expect(v.code, v.err).toBe(0);
      expect(JSON.parse(v.out)).toMatchObject({ colour: 'green', reason: 'OK' });
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
