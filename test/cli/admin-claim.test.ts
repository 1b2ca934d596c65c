// `gatecode admin claim` against the real `gatecode server` process on loopback: the link it prints is claimable
// once by a wallet (an unbound pass at once, a holder-bound one with the wallet's public key).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatecodeInProcess, gatecodeSpawned } from '../support/cli.js';
import { ServerProcess } from '../support/server-process.js';
import { encodePublicKey, generateSigningKey, inspectPass } from '../../protocol/index.js';

let dir = '';
let server: ServerProcess;

const auth = () => ['--server', server.url, '--token-file', path.join(dir, 'data', 'admin.token')];
/** `gatecode admin ARGS` in this process (test/support/cli.ts), and as a process of its own. */
const admin = (args: string[]) => gatecodeInProcess(['admin', ...args, ...auth()]);
const spawned = (args: string[]) => gatecodeSpawned(['admin', ...args, ...auth()]);

async function claim(link: string, holderKey?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const secret = new URLSearchParams(new URL(link).hash.slice(1)).get('claim');
  const res = await fetch(`${server.url}/api/wallet/claim`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(holderKey ? { secret, holderKey } : { secret }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  server = new ServerProcess(path.join(dir, 'data'));
  await server.start();
}, 30_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('gatecode admin claim', () => {
  it('prints a one-time link; a holder-bound one issues the pass with the wallet key; --svg and --json', async () => {
    const printed = await spawned(['claim', '--colour', 'green', '--valid-for', '1d', '--scope', 'north']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wallet\/#claim=[A-Za-z0-9_-]{43}\n$/);
    expect(printed.stderr).toMatch(/claim link for pass [0-9a-f]{32}; claim once before 20\d\d-/);
    const first = await claim(printed.stdout.trim());
    expect(first.status).toBe(201);
    expect((await claim(printed.stdout.trim())).body['error']).toBe('CLAIM_USED');

    const svg = path.join(dir, 'link.svg');
    const bound = await admin(['claim', '--colour', 'yellow', '--valid-for', '2d', '--holder', '--svg', svg, '--json']);
    expect(bound.code).toBe(0);
    const out = JSON.parse(bound.stdout) as { url: string; claim: { holderBound: boolean }; text: string | null };
    expect([out.claim.holderBound, out.text]).toEqual([true, null]);
    expect(out.url).toMatch(/&holder=1$/);
    expect(fs.readFileSync(svg, 'utf8')).toContain('<svg');
    const key = encodePublicKey(generateSigningKey('h').publicKey);
    const got = await claim(out.url, key);
    expect(got.status).toBe(201);
    expect(inspectPass((got.body['pass'] as { text: string }).text).claims['holderKey']).toBe(key);
  }, 60_000);

  it('claim list shows each link with its state and no secret; claim revoke withdraws an open one', async () => {
    const made = await admin(['claim', '--colour', 'green', '--valid-for', '1d', '--holder', '--json']);
    const { url: link, claim: open } = JSON.parse(made.stdout) as { url: string; claim: { id: string } };
    const secret = new URLSearchParams(new URL(link).hash.slice(1)).get('claim') ?? '';

    const listed = await admin(['claim', 'list']);
    expect(listed.code).toBe(0);
    const row = listed.stdout.split('\n').find((l) => l.startsWith(open.id)) ?? '';
    expect(row).toMatch(/^[0-9a-f]{16} {2}open {5}20\d\d-\S+ {2}20\d\d-\S+ {2}bound {6}-$/);
    // Used links show their pass id shortened.
    expect(listed.stdout).toMatch(/ {2}used {5}.* {2}printable {2}[0-9a-f]{12}…\n/);
    const asJson = await admin(['claim', 'list', '--json']);
    const claims = JSON.parse(asJson.stdout) as { id: string; state: string }[];
    expect(claims.find((c) => c.id === open.id)?.state).toBe('open');
    expect(listed.stdout + asJson.stdout).not.toContain(secret);

    const revoked = await admin(['claim', 'revoke', open.id]);
    expect([revoked.code, revoked.stdout]).toEqual([0, `revoked ${open.id}\n`]);
    const key = encodePublicKey(generateSigningKey('h').publicKey);
    expect((await claim(link, key)).body['error']).toBe('CLAIM_REVOKED');
    const again = await admin(['claim', 'revoke', open.id, '--json']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('CLAIM_REVOKED');
    expect((await admin(['claim', 'list', '--json'])).stdout).toContain('"state": "revoked"');
    const usage = await spawned(['claim', 'revoke']);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('missing CLAIM_ID')]);
  }, 60_000);

  it('refuses bad options with exit 2', async () => {
    const bad = await spawned(['claim', '--colour', 'blue', '--valid-for', '1d']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--colour');
    const ttl = await admin(['claim', '--colour', 'green', '--valid-for', '1d', '--link-ttl', 'soon']);
    expect(ttl.code).toBe(2);
  }, 30_000);
});
