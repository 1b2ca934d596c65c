// The device's layer over hardware/systemd/notify.ts (whose own tests cover sd-notify, the systemd-notify fallback
// and the silence without NOTIFY_SOCKET): the watchdog interval read for this process, and the health gate on the
// runtime's injected clock.
import { describe, expect, it } from 'vitest';
import { createServiceNotifier, silentNotifier, watchHealth } from '../../device/notify.js';
import type { ServiceNotifier } from '../../device/notify.js';
import { silentLog } from '../support/log.js';
import { ManualClock } from '../support/clock.js';

function recordingSpawn() {
  const messages: string[] = [];
  const spawn = (command: string, args: readonly string[]) => {
    messages.push(`${command} ${args.join(' ')}`);
    return { on: () => undefined };
  };
  return { messages, spawn };
}

describe('device systemd notifier', () => {
  it('is silent without NOTIFY_SOCKET', async () => {
    const rec = recordingSpawn();
    const n = await createServiceNotifier({ env: { WATCHDOG_USEC: '10000000' }, log: silentLog(), spawn: rec.spawn });
    expect(n).toBe(silentNotifier);
    n.ready();
    n.watchdog();
    expect(rec.messages).toEqual([]);
  });

  it('sends through the hardware notifier and checks health at half of WatchdogSec', async () => {
    const rec = recordingSpawn();
    const n = await createServiceNotifier({
      env: { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '10000000' },
      pid: 321,
      log: silentLog(),
      spawn: rec.spawn,
      loadSdNotify: async () => null,
    });
    expect(n).toMatchObject({ enabled: true, watchdogIntervalMs: 5000 });
    n.ready();
    n.watchdog();
    n.stopping();
    expect(rec.messages).toEqual([
      'systemd-notify --pid=321 READY=1',
      'systemd-notify --pid=321 WATCHDOG=1',
      'systemd-notify --pid=321 STOPPING=1',
    ]);
    // A watchdog meant for another process (WATCHDOG_PID) or none at all: no health checks.
    const other = { NOTIFY_SOCKET: '@x', WATCHDOG_USEC: '10000000', WATCHDOG_PID: '7' };
    const env = { NOTIFY_SOCKET: '@x' };
    for (const e of [other, env]) {
      const m = await createServiceNotifier({ env: e, pid: 321, log: silentLog(), spawn: rec.spawn });
      expect(m.watchdogIntervalMs).toBeNull();
    }
  });

  it('pings on the injected clock only while healthy, and stops', () => {
    const clock = new ManualClock(0);
    const pings: number[] = [];
    const n: ServiceNotifier = {
      ...silentNotifier,
      enabled: true,
      watchdogIntervalMs: 5000,
      watchdog: () => pings.push(clock.now()),
    };
    let healthy = true;
    const stop = watchHealth(n, () => healthy, clock, silentLog());
    clock.advance(10_000);
    healthy = false; // the camera stalled
    clock.advance(15_000);
    healthy = true;
    clock.advance(5000);
    stop();
    clock.advance(20_000);
    expect(pings).toEqual([5000, 10_000, 30_000]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runs no timer without a watchdog or without systemd', () => {
    const clock = new ManualClock(0);
    const unwatched = { ...silentNotifier, enabled: true };
    for (const n of [silentNotifier, unwatched]) {
      watchHealth(n, () => true, clock, silentLog());
      expect(clock.pendingTimers).toBe(0);
    }
  });
});
