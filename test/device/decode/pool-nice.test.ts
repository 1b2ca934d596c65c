// The decoder pool's escalation workers run ESCALATION_NICE steps below the thread that started the pool, not at
// an absolute nice: under the unit's Nice=-10 they run at the default priority, and the first-pass worker and the
// pipeline's thread keep the process's priority. A process started at nice 3 must show one thread at 13 (the
// escalation worker of a pool of two) and none at an absolute 10.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ESCALATION_NICE } from '../../../device/decode/pool.js';
import { findExecutable } from '../../../hardware/camera/which.js';

const niceBin = findExecutable('nice');

describe('decoder pool thread priorities', () => {
  it.skipIf(process.platform !== 'linux' || !niceBin)(
    'lowers the escalation worker relative to the process, and leaves every other thread at its priority',
    { timeout: 30_000 },
    () => {
      const r = spawnSync(
        niceBin!,
        ['-n', '3', process.execPath, '--import', 'tsx', 'test/device/decode/pool-nice-child.ts'],
        { encoding: 'utf8', timeout: 25_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      const { process: base, threads } = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as {
        process: number;
        threads: number[];
      };
      expect(base).toBeGreaterThanOrEqual(3);
      const lowered = threads.filter((n) => n !== base);
      expect(lowered).toEqual([Math.min(19, base + ESCALATION_NICE)]);
      expect(threads.filter((n) => n === base).length).toBeGreaterThanOrEqual(2); // the main thread and worker 0
    },
  );
});
