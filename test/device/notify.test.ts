import { describe, expect, it } from 'vitest';
import { createNotifier } from '../../device/notify.js';
import { silentNotifier } from '../../device/runtime.js';
import { silentLog } from './helpers/log.js';

describe('systemd notifier', () => {
  it('is silent without NOTIFY_SOCKET', async () => {
    expect(await createNotifier({ env: {}, log: silentLog() })).toBe(silentNotifier);
  });

  it('uses sd-notify when it loads, throttling watchdog pings to a third of WATCHDOG_USEC', async () => {
    const calls: string[] = [];
    let t = 0;
    const n = await createNotifier({
      env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '3000000' },
      log: silentLog(),
      now: () => t,
      loadNative: async () => ({
        ready: () => calls.push('ready'),
        watchdog: () => calls.push('watchdog'),
        stopping: () => calls.push('stopping'),
      }),
    });
    n.ready();
    n.watchdog();
    t = 500;
    n.watchdog();
    t = 1000;
    n.watchdog();
    n.stopping();
    expect(calls).toEqual(['ready', 'watchdog', 'watchdog', 'stopping']);
  });

  it('falls back to systemd-notify --pid when sd-notify is missing', async () => {
    const runs: string[][] = [];
    const n = await createNotifier({
      env: { NOTIFY_SOCKET: '/run/x' },
      log: silentLog(),
      loadNative: async () => {
        throw new Error('Cannot find module');
      },
      runTool: (args) => runs.push(args),
    });
    n.ready();
    n.watchdog();
    n.stopping();
    expect(runs.map((a) => a[1])).toEqual(['READY=1', 'WATCHDOG=1', 'STOPPING=1']);
    expect(runs[0]?.[0]).toBe(`--pid=${process.pid}`);
  });
});
