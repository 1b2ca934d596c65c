// systemd readiness and watchdog for `Type=notify` units. Silent where NOTIFY_SOCKET is unset (tests, a terminal).
// Node cannot send on the notify socket by itself: the optional `sd-notify` package does it natively; without it
// the `systemd-notify --pid` tool is spawned (the unit then needs NotifyAccess=all). Watchdog pings are
// throttled to a third of WATCHDOG_USEC; the runtime only asks for them while it is healthy.
import { spawn } from 'node:child_process';
import type { Logger } from './log.js';
import type { ServiceNotifier } from './runtime.js';
import { silentNotifier } from './runtime.js';

interface SdNotifyModule {
  ready(): void;
  watchdog(): void;
  stopping?(pid?: number): void;
}

export interface NotifierDeps {
  readonly env?: NodeJS.ProcessEnv;
  readonly log: Logger;
  /** Loads the optional native module; default `import('sd-notify')`. */
  readonly loadNative?: () => Promise<SdNotifyModule>;
  /** Runs `systemd-notify` with these arguments; default spawns it. */
  readonly runTool?: (args: string[]) => void;
  readonly now?: () => number;
}

function spawnTool(log: Logger): (args: string[]) => void {
  return (args) => {
    const child = spawn('systemd-notify', args, { stdio: 'ignore' });
    child.on('error', (err) => log.warn({ err: err.message }, 'systemd-notify failed'));
  };
}

export async function createNotifier(deps: NotifierDeps): Promise<ServiceNotifier> {
  const env = deps.env ?? process.env;
  if (!env['NOTIFY_SOCKET']) return silentNotifier;
  const now = deps.now ?? (() => performance.now());
  const usec = Number(env['WATCHDOG_USEC'] ?? Number.NaN);
  const minGapMs = Number.isFinite(usec) && usec > 0 ? usec / 1000 / 3 : 1000;
  let lastPing = Number.NEGATIVE_INFINITY;
  const throttled = (ping: () => void) => () => {
    const t = now();
    if (t - lastPing < minGapMs) return;
    lastPing = t;
    ping();
  };

  let native: SdNotifyModule | null = null;
  try {
    const load =
      deps.loadNative ??
      (async () => (await import('sd-notify' as string)) as { default?: SdNotifyModule } & SdNotifyModule);
    const mod = (await load()) as SdNotifyModule & { default?: SdNotifyModule };
    native = mod.default ?? mod;
  } catch {
    deps.log.info('sd-notify not installed: using systemd-notify (set NotifyAccess=all in the unit)');
  }
  if (native) {
    const n = native;
    return {
      ready: () => n.ready(),
      watchdog: throttled(() => n.watchdog()),
      stopping: () => n.stopping?.(process.pid),
    };
  }
  const run = deps.runTool ?? spawnTool(deps.log);
  const pid = `--pid=${process.pid}`;
  return {
    ready: () => run([pid, 'READY=1']),
    watchdog: throttled(() => run([pid, 'WATCHDOG=1'])),
    stopping: () => run([pid, 'STOPPING=1']),
  };
}
