// bench:remote-open runs end to end in a tiny configuration and ends with its JSON figures (the timings themselves
// are the benchmark's to show, not a test's to assert).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('bench/remote-open.ts', () => {
  it(
    'opens a loopback gate through the admin API and prints median and p95 beside the baseline',
    { timeout: 90_000 },
    async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'bench/remote-open.ts', '--n', '3'],
        {
          timeout: 80_000,
        },
      );
      const last = stdout.trim().split('\n').at(-1) ?? '';
      const figures = JSON.parse(last) as Record<string, unknown>;
      expect(figures).toMatchObject({
        bench: 'remote-open',
        n: 3,
        targetP95Ms: 300,
        withinTarget: expect.any(Boolean),
      });
      for (const k of ['relayMedianMs', 'relayP95Ms', 'answerMedianMs', 'baselineMedianMs', 'ratioMedian'])
        expect(figures[k]).toBeGreaterThan(0);
      expect(figures['relayP95Ms']).toBeGreaterThanOrEqual(figures['relayMedianMs'] as number);
      expect(stdout).toMatch(/baseline, a bare loopback HTTP round trip: median/);
    },
  );
});
