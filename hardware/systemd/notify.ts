// systemd readiness and watchdog. Node cannot send on the notify socket (a unix datagram socket) by itself, so
// this uses the optional native module sd-notify when it is installed, and otherwise spawns `systemd-notify`
// (which needs NotifyAccess=all in the unit, because the message then comes from the helper's PID). Where
// NOTIFY_SOCKET is unset (not started by systemd, tests, a terminal) every call does nothing.
import { spawn as nodeSpawn } from 'node:child_process';
import type { Logger } from 'pino';

export interface Notifier {
  /** False where NOTIFY_SOCKET is unset: every call is a no-op. */
  readonly enabled: boolean;
  /** Which way messages go. */
  readonly via: 'none' | 'sd-notify' | 'systemd-notify';
  ready(): void;
  watchdog(): void;
  status(text: string): void;
  stopping(): void;
}

interface SdNotifyModule {
  ready(): void;
  watchdog(): void;
  sendStatus(text: string): void;
  stopping(pid: number): void;
}

export type Spawner = (
  command: string,
  args: readonly string[],
) => { on(event: 'error', cb: (e: Error) => void): unknown };

export interface NotifierOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly pid?: number;
  readonly log?: Logger;
  /** Loads sd-notify; default `import('sd-notify')`. Return null / throw when unavailable. */
  readonly loadSdNotify?: () => Promise<SdNotifyModule | null>;
  /** Runs systemd-notify; default node:child_process spawn, detached from our stdio. */
  readonly spawn?: Spawner;
}

const NOOP: Notifier = { enabled: false, via: 'none', ready() {}, watchdog() {}, status() {}, stopping() {} };

async function defaultLoad(): Promise<SdNotifyModule | null> {
  const name = 'sd-notify'; // not a literal import: the module is optional and has no types here
  const mod = (await import(name)) as { default?: SdNotifyModule } & Partial<SdNotifyModule>;
  return mod.default ?? (mod as SdNotifyModule);
}

const defaultSpawn: Spawner = (command, args) => nodeSpawn(command, args, { stdio: 'ignore' });

/** The systemd-notify command line for one message, as spawned by the fallback. */
export function systemdNotifyArgs(
  pid: number,
  message: 'READY=1' | 'WATCHDOG=1' | 'STOPPING=1' | `STATUS=${string}`,
): string[] {
  return [`--pid=${pid}`, message];
}

export async function createNotifier(opts: NotifierOptions = {}): Promise<Notifier> {
  const env = opts.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return NOOP;
  const pid = opts.pid ?? process.pid;
  try {
    const sd = await (opts.loadSdNotify ?? defaultLoad)();
    if (sd) {
      opts.log?.info('systemd notifications through sd-notify');
      return {
        enabled: true,
        via: 'sd-notify',
        ready: () => sd.ready(),
        watchdog: () => sd.watchdog(),
        status: (t) => sd.sendStatus(t),
        stopping: () => sd.stopping(pid),
      };
    }
  } catch (e) {
    opts.log?.info({ reason: (e as Error).message }, 'sd-notify not available: falling back to systemd-notify');
  }
  const spawn = opts.spawn ?? defaultSpawn;
  const send = (message: Parameters<typeof systemdNotifyArgs>[1]) => {
    try {
      spawn('systemd-notify', systemdNotifyArgs(pid, message)).on('error', (e) =>
        opts.log?.warn({ err: e }, 'systemd-notify failed'),
      );
    } catch (e) {
      opts.log?.warn({ err: e }, 'systemd-notify failed');
    }
  };
  return {
    enabled: true,
    via: 'systemd-notify',
    ready: () => send('READY=1'),
    watchdog: () => send('WATCHDOG=1'),
    status: (t) => send(`STATUS=${t.replace(/\n/g, ' ')}`),
    stopping: () => send('STOPPING=1'),
  };
}

/** Half of WatchdogSec in ms (systemd passes WATCHDOG_USEC), or null when the watchdog is off or not ours. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

/**
 * Ping the watchdog every `intervalMs` while `healthy()` says so (frames arriving, loop alive). When it stops
 * saying so, pings stop and systemd restarts the service after WatchdogSec. Returns a stop function.
 * `schedule` runs the check on another timer (e.g. a caller's injected clock) instead of setInterval.
 */
export function startWatchdog(
  notifier: Pick<Notifier, 'enabled' | 'watchdog'>,
  healthy: () => boolean,
  opts: {
    intervalMs?: number | null;
    env?: NodeJS.ProcessEnv;
    log?: Logger;
    setInterval?: typeof setInterval;
    clearInterval?: typeof clearInterval;
    /** Runs `fn` every `ms` until the returned function is called; takes precedence over setInterval. */
    schedule?: (ms: number, fn: () => void) => () => void;
  } = {},
): () => void {
  const interval = opts.intervalMs === undefined ? watchdogIntervalMs(opts.env) : opts.intervalMs;
  if (!notifier.enabled || interval === null) return () => {};
  let wasHealthy = true;
  const check = (): void => {
    let ok = false;
    try {
      ok = healthy();
    } catch (e) {
      opts.log?.error({ err: e }, 'health check threw');
    }
    if (ok) notifier.watchdog();
    else if (wasHealthy)
      opts.log?.error('health check failing: watchdog pings withheld, systemd will restart the service');
    wasHealthy = ok;
  };
  if (opts.schedule) return opts.schedule(interval, check);
  const si = opts.setInterval ?? setInterval;
  const ci = opts.clearInterval ?? clearInterval;
  const timer = si(check, interval);
  (timer as { unref?: () => void }).unref?.();
  return () => ci(timer);
}
