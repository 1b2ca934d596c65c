// The gate's scheduling priority, from one constant. The decision process (frame → decode → verify → relay) must
// not lose half its CPU to whatever else the Pi runs (apt, a journald burst, a log shipper). GATE_NICE sets the
// systemd unit's Nice= and, through the kernel's own weight table, its CPUWeight= (device/install/derive.ts);
// bench:pipeline models the same relative priority under its busy load (bench/pipeline-pool.ts busyLoad).

/**
 * Nice value of the gate's process (every thread it starts inherits it: the pipeline's thread, the first-pass
 * decode worker, the camera child). The decoder pool's escalation workers run ESCALATION_NICE steps below it
 * (device/decode/pool.ts), which puts them at the default priority: they yield to the gate, not to the system.
 */
export const GATE_NICE = -10;

/** I/O priority within the best-effort class (0 highest … 7 lowest; nice -10 would give 2 by default). */
export const GATE_IO_PRIORITY = 0;

/** The kernel's CFS weight of each nice value from -20 to 19 (kernel/sched/core.c, sched_prio_to_weight). */
const NICE_WEIGHTS = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991,
  1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
] as const;

/** The CFS weight of a nice value (nice 0: 1024); out-of-range values are clamped as the kernel does. */
export function niceWeight(nice: number): number {
  const i = Math.max(-20, Math.min(19, Math.round(nice))) + 20;
  return NICE_WEIGHTS[i] as number;
}

/**
 * The unit's CPUWeight=: the cgroup weight that stands to the default (100) as GATE_NICE's CFS weight stands to nice
 * 0's (9548 : 1024), so against another service the gate's cgroup gets the share that Nice= gives it against a
 * default-priority process in the same group. 932 for nice -10.
 */
export const GATE_CPU_WEIGHT = Math.round((100 * niceWeight(GATE_NICE)) / niceWeight(0));

/**
 * How many nice steps bench:pipeline's busy children run below the bench's own process: the gate's distance from
 * a default-priority process (0 − GATE_NICE). CFS weights fall by ≈ 1.25× per step, so the ratio is the same
 * wherever the steps start (1024 : 110 for the bench, 9548 : 1024 for the gate: both ≈ 9.3 : 1). A process may
 * always lower its own priority, so the bench needs no privilege (`ulimit -e` is often 0).
 */
export const BUSY_NICE_OFFSET = -GATE_NICE;
