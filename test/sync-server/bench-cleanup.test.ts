// `npm run bench:cleanup` at a tiny size, so the command and its JSON line stay working (the 1 M-row figures are
// in docs/performance.md).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BENCH = fileURLToPath(new URL('../../bench/server-cleanup.ts', import.meta.url));

describe('bench:cleanup', () => {
  it('fills, measures the upload with and without clean-up due and the old full scan, and prints one JSON line', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', BENCH, '--rows', '2000', '--uploads', '20'], {
      timeout: 60_000,
    });
    const lines = stdout.trim().split('\n');
    expect(lines.some((l) => l.startsWith('baseline, nothing to clean: upload median'))).toBe(true);
    const figures = JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
    expect(figures).toMatchObject({ bench: 'server-cleanup', rows: 2000, uploads: 20, keptWithNothingDue: true });
    // Every key had expired in the second run: the uploads deleted the 2,000 filled and the first run's 30.
    expect(figures['dueCleanedKeys']).toBe(2030);
    for (const k of ['baselineMedianMs', 'baselineP99Ms', 'dueMedianMs', 'dueP99Ms', 'oldFullScanMs', 'oldBacklogDeleteMs'])
      expect(Number.isFinite(figures[k]), k).toBe(true);
  }, 60_000);

  it('refuses a bad size with exit 2', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', BENCH, '--rows', 'lots']).catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(2);
  });
});
