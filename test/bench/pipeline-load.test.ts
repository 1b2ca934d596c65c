// bench:pipeline's busy load models the gate's priority: its children run BUSY_NICE_OFFSET (= -GATE_NICE) steps
// below the bench, in the bench's own autogroup and cpu cgroup (where CFS shares a core by nice weight), and say
// so; at offset 0 they run at the bench's priority. Real child processes, their places read from /proc.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { BUSY_NICE_OFFSET, GATE_NICE } from '../../device/install/priority.js';
import { busyLoad, schedPlaceOf } from '../../bench/pipeline-pool.js';

const linux = process.platform === 'linux';

describe('bench:pipeline busy load', () => {
  it.skipIf(!linux)(
    'runs its children the gate’s distance below the bench, in the bench’s scheduling group',
    async () => {
      expect(BUSY_NICE_OFFSET).toBe(-GATE_NICE);
      const load = await busyLoad(2, 20_000, BUSY_NICE_OFFSET);
      try {
        expect(load.offset).toBe(BUSY_NICE_OFFSET);
        expect(load.self.nice).toBe(os.getPriority(0));
        const want = Math.min(19, load.self.nice + BUSY_NICE_OFFSET);
        expect(load.children.map((c) => c.nice)).toEqual([want, want]);
        for (const c of load.children) {
          expect(c.autogroup).toBe(load.self.autogroup);
          expect(c.cpuCgroup).toBe(load.self.cpuCgroup);
        }
        expect(load.unfaithful).toEqual(load.self.nice + BUSY_NICE_OFFSET > 19 ? expect.any(String) : null);
      } finally {
        load.stop();
      }
    },
  );

  it.skipIf(!linux)('runs them at the bench’s own priority for the equal-priority figure', async () => {
    const load = await busyLoad(1, 20_000, 0);
    load.stop();
    expect(load.children.map((c) => c.nice)).toEqual([load.self.nice]);
    expect(load.unfaithful).toBeNull();
  });

  it('reads the cpu cgroup from a v1 or a v2 cgroup file, and the autogroup without its nice', () => {
    const v1 = schedPlaceOf(0, '/autogroup-7 nice 0', '4:memory:/m\n2:cpu,cpuacct:/a/b\n0::/');
    expect(v1.cpuCgroup).toBe('/a/b');
    const v2 = schedPlaceOf(0, null, '0::/system.slice/gatecode-device.service');
    expect(v2).toEqual({ nice: 0, autogroup: null, cpuCgroup: '/system.slice/gatecode-device.service' });
  });
});

describe('bench/pipeline.ts --only latency', () => {
  it.skipIf(!linux)(
    'runs the latency part at equal and at the gate’s priority and says how the load was placed',
    { timeout: 150_000 },
    async () => {
      const { execFile } = await import('node:child_process');
      const { promisify } = await import('node:util');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'bench/pipeline.ts', '--only', 'latency', '--latency-frames', '6'],
        { timeout: 140_000 },
      );
      const figures = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
      expect(figures).toMatchObject({
        bench: 'pipeline',
        only: 'latency',
        gateNice: GATE_NICE,
        busyNiceOffset: BUSY_NICE_OFFSET,
      });
      const cores = figures['cores'] as number;
      const benchNice = figures['benchNice'] as number;
      expect(figures['busyChildrenNice']).toEqual(Array(cores).fill(Math.min(19, benchNice + BUSY_NICE_OFFSET)));
      for (const k of ['loadedArrivalToRelayP95Ms', 'equalLoadArrivalToRelayP95Ms', 'arrivalToRelayP95Ms'])
        expect(figures[k]).toBeGreaterThan(0);
      expect(stdout).toMatch(/under load at equal priority/);
      expect(stdout).toMatch(/under load at the gate's priority .* Nice=-10 /);
    },
  );
});
