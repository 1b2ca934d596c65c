import { describe, expect, it } from 'vitest';
import { createNotifier, startWatchdog, watchdogIntervalMs } from '../../../hardware/systemd/notify.js';

function recordingSpawner() {
  const calls: [string, readonly string[]][] = [];
  return { calls, spawn: (c: string, a: readonly string[]) => (calls.push([c, a]), { on: () => undefined }) };
}

describe('systemd notify', () => {
  it('does nothing where NOTIFY_SOCKET is unset', async () => {
    const rec = recordingSpawner();
    let loaded = false;
    const n = await createNotifier({ env: {}, spawn: rec.spawn, loadSdNotify: async () => ((loaded = true), null) });
    n.ready();
    n.watchdog();
    n.status('x');
    expect(n.enabled).toBe(false);
    expect(rec.calls).toEqual([]);
    expect(loaded).toBe(false);
  });

  it('falls back to systemd-notify --pid when sd-notify is not installed', async () => {
    const rec = recordingSpawner();
    const n = await createNotifier({
      env: { NOTIFY_SOCKET: '/run/systemd/notify' },
      pid: 4242,
      spawn: rec.spawn,
      loadSdNotify: () => Promise.reject(new Error("Cannot find package 'sd-notify'")),
    });
    expect(n.via).toBe('systemd-notify');
    n.ready();
    n.watchdog();
    n.status('scanning\nok');
    n.stopping();
    expect(rec.calls).toEqual([
      ['systemd-notify', ['--pid=4242', 'READY=1']],
      ['systemd-notify', ['--pid=4242', 'WATCHDOG=1']],
      ['systemd-notify', ['--pid=4242', 'STATUS=scanning ok']],
      ['systemd-notify', ['--pid=4242', 'STOPPING=1']],
    ]);
  });

  it('uses sd-notify when it loads (and the real optional import fails cleanly here)', async () => {
    const sent: string[] = [];
    const sd = {
      ready: () => sent.push('ready'),
      watchdog: () => sent.push('wd'),
      sendStatus: (t: string) => sent.push(`status ${t}`),
      stopping: (p: number) => sent.push(`stopping ${p}`),
    };
    const n = await createNotifier({ env: { NOTIFY_SOCKET: '@x' }, pid: 7, loadSdNotify: async () => sd });
    n.ready();
    n.watchdog();
    n.stopping();
    expect(n.via).toBe('sd-notify');
    expect(sent).toEqual(['ready', 'wd', 'stopping 7']);
    const rec = recordingSpawner();
    const fallback = await createNotifier({ env: { NOTIFY_SOCKET: '@x' }, pid: 7, spawn: rec.spawn });
    expect(fallback.via).toBe('systemd-notify'); // sd-notify is not installed on this machine
  });

  it('reads half of WatchdogSec and pings only while healthy', async () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '10000000' }, 1)).toBe(5000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '2' }, 1)).toBeNull();
    expect(watchdogIntervalMs({}, 1)).toBeNull();
    const rec = recordingSpawner();
    const n = await createNotifier({
      env: { NOTIFY_SOCKET: '@x' },
      pid: 9,
      spawn: rec.spawn,
      loadSdNotify: async () => null,
    });
    let tick: () => void = () => {};
    let healthy = true;
    const stop = startWatchdog(n, () => healthy, {
      intervalMs: 5000,
      setInterval: ((fn: () => void) => ((tick = fn), 1)) as unknown as typeof setInterval,
      clearInterval: (() => {}) as typeof clearInterval,
    });
    tick();
    healthy = false;
    tick();
    tick();
    healthy = true;
    tick();
    stop();
    expect(rec.calls.map((c) => c[1][1])).toEqual(['WATCHDOG=1', 'WATCHDOG=1']);
  });

  it('runs the health check on a caller-supplied schedule when given one', () => {
    const pings: string[] = [];
    let tick: () => void = () => {};
    let scheduledMs = 0;
    let stopped = false;
    const stop = startWatchdog({ enabled: true, watchdog: () => pings.push('wd') }, () => true, {
      intervalMs: 2500,
      schedule: (ms, fn) => ((scheduledMs = ms), (tick = fn), () => (stopped = true)),
    });
    tick();
    tick();
    stop();
    expect({ scheduledMs, pings, stopped }).toEqual({ scheduledMs: 2500, pings: ['wd', 'wd'], stopped: true });
  });
});
