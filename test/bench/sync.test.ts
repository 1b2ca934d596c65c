// bench:sync runs end to end at a small size (a spawned server, a device store, the counting proxy) and ends with
// its JSON figures; the 10 M figures are in docs/performance.md. Timings are the benchmark's to show; what is
// asserted here is what crossed the wire and what the device holds.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface Phase {
  bytesDown: number;
  partitions: number;
  kind?: string;
  decisions: { answered: number; p99Ms: number; half: number; missing: number };
}

describe('bench/sync.ts', () => {
  it('syncs a partitioned list, a day of changes and a change, and prints one JSON line', { timeout: 180_000 }, async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'bench/sync.ts', '--ids', '4000', '--day', '1000', '--change', '1000'],
      { timeout: 170_000 },
    );
    const lines = stdout.trim().split('\n');
    const figures = JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>;
    expect(figures).toMatchObject({ bench: 'sync', ids: 4000, dayIds: 1000, changeIds: 1000, neverHalf: true });
    const first = figures['first'] as Phase;
    // The whole list crossed the wire by partitions, gzip as sent: at least its ids (16 bytes each), and at most
    // twice its raw content plus 1 KiB per partition (HTTP headers, the signed document's envelope).
    expect(first.partitions).toBe(256);
    expect(first.bytesDown).toBeGreaterThan(4000 * 16);
    expect(first.bytesDown).toBeLessThan((figures['firstRawBytes'] as number) * 2 + 256 * 1024);
    // Within the retained steps the day and the change went as deltas: about their own size, no partition.
    for (const [name, n] of [
      ['day', 1000],
      ['change', 1000],
    ] as const) {
      const p = figures[name] as Phase;
      expect(p).toMatchObject({ kind: 'delta', partitions: 0 });
      expect(p.bytesDown).toBeGreaterThan(n * 16);
      expect(p.bytesDown).toBeLessThan(n * 40);
    }
    for (const p of [first, figures['day'], figures['change']] as Phase[]) expect(p.decisions.answered).toBeGreaterThan(0);
    const server = figures['server'] as { buildMs: number; healthzProbes: number }[];
    expect(server).toHaveLength(3);
    for (const b of server) expect(b.healthzProbes).toBeGreaterThan(0);
    expect(stdout).toMatch(/baseline: the list's raw content/);
  });

  it('refuses a bad size with exit 2', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'bench/sync.ts', '--ids', 'lots']).catch(
      (e: unknown) => e,
    );
    expect((err as { code: number }).code).toBe(2);
  });
});
