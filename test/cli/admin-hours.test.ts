// `gatecode admin policy --hours FILE | --no-hours` as documented (docs/protocol.md, docs/examples/opening-hours.json),
// run as a spawned CLI (the rest of the calls in process) against a real server on loopback.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatecodeInProcess, gatecodeSpawned } from '../support/cli.js';
import { startRealServer } from '../support/real-server.js';

const EXAMPLE = path.resolve('docs/examples/opening-hours.json');

let srv: Awaited<ReturnType<typeof startRealServer>>;
beforeAll(async () => {
  srv = await startRealServer();
}, 30_000);
afterAll(async () => {
  await srv.stop();
});

const auth = () => ['--server', srv.server.url, '--token-file', srv.server.tokenFile];

/** `gatecode admin ARGS` as a spawned process (the documented example's run). */
const spawned = (args: string[]) => gatecodeSpawned(['admin', ...args, ...auth()]);

/** The other calls in this process (test/support/cli.ts). */
const admin = (args: string[]) => gatecodeInProcess(['admin', ...args, ...auth()]);

describe('gatecode admin policy --hours', { timeout: 60_000 }, () => {
  it('sets the documented example, prints it back in full, and --no-hours removes it', async () => {
    const set = await spawned(['policy', '--hours', EXAMPLE]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const out = JSON.parse(set.stdout) as { hours: { timeZone: string; weekly: Record<string, string[]> } };
    expect(out.hours.timeZone).toBe('Europe/Berlin');
    expect(out.hours.weekly['sun']).toEqual([]);
    expect(out.hours.weekly['fri']).toEqual(['08:00-16:00', '22:00-02:00']);
    const shown = JSON.parse((await admin(['policy'])).stdout) as { hours: unknown };
    expect(shown.hours).toEqual(out.hours);
    const removed = await admin(['policy', '--no-hours']);
    expect(removed.code).toBe(0);
    expect((JSON.parse(removed.stdout) as { hours: unknown }).hours).toBeNull();
  });

  it('a bad file is refused before anything is sent, every problem on stderr with a hint (exit 2)', async () => {
    const bad = path.join(srv.dir, 'bad-hours.json');
    fs.writeFileSync(bad, JSON.stringify({ timeZone: 'Berlin', weekly: { mon: ['8-12', '10:00-10:00'] } }));
    const before = JSON.parse((await admin(['policy'])).stdout) as { bundleVersion: number };
    const r = await spawned(['policy', '--hours', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('timeZone: TIME_ZONE: use an IANA name');
    expect(r.stderr).toContain('weekly.mon[0]: TIME: write ranges as HH:MM-HH:MM');
    expect(r.stderr).toContain('weekly.mon[1]: EMPTY_RANGE');
    expect((await admin(['policy', '--hours', path.join(srv.dir, 'missing.json')])).stderr).toContain('ENOENT');
    expect((await admin(['policy', '--hours', EXAMPLE, '--no-hours'])).code).toBe(2);
    const after = JSON.parse((await admin(['policy'])).stdout) as { bundleVersion: number };
    expect(after.bundleVersion).toBe(before.bundleVersion);
  });
});
