// bench:verify runs end to end in a tiny configuration and ends with its JSON figures (the rates themselves are the
// benchmark's to show, not a test's to assert).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('bench/verify.ts', () => {
  it(
    'times verifyPass and bare Ed25519 interleaved and prints the ratio with its quartiles',
    { timeout: 90_000 },
    async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'bench/verify.ts', '--rounds', '3', '--seconds', '0.05', '--passes', '6'],
        { timeout: 80_000 },
      );
      const last = stdout.trim().split('\n').at(-1) ?? '';
      const figures = JSON.parse(last) as Record<string, unknown>;
      expect(figures).toMatchObject({ bench: 'verify', rounds: 3, batch: 16, targetRatioToBare: 0.95 });
      for (const k of [
        'verifiesPerCpuSecond',
        'bareEd25519PerCpuSecond',
        'ratioToBareEd25519',
        'pooledRatioToBare',
        'decodeMicrosPerPass',
        'bestPossibleRatioToBare',
        'boundWarmVerifiesPerCpuSecond',
      ])
        expect(figures[k]).toBeGreaterThan(0);
      const [q1, q3] = figures['ratioToBareQuartiles'] as [number, number];
      expect(q1).toBeLessThanOrEqual(figures['ratioToBareEd25519'] as number);
      expect(q3).toBeGreaterThanOrEqual(figures['ratioToBareEd25519'] as number);
      // Nothing verifies faster than its own Ed25519 check: the best possible ratio is below 1.
      expect(figures['bestPossibleRatioToBare']).toBeLessThan(1);
      expect(stdout).toMatch(/median of 3 interleaved rounds/);
    },
  );
});
