// The device's side of systemd's `Type=notify`. Sending (the optional sd-notify module, else `systemd-notify`,
// nothing where NOTIFY_SOCKET is unset), reading WatchdogSec and the health-gated watchdog timer are
// hardware/systemd/notify.ts. This adds only what belongs to the device: the watchdog check runs on the runtime's
// injected clock, and its health is the runtime's (a frame arrived within frameTimeoutMs and the loop runs).
import { createNotifier, startWatchdog, watchdogIntervalMs } from '../hardware/systemd/notify.js';
import type { NotifierOptions } from '../hardware/systemd/notify.js';
import type { CancelTimer, Clock } from '../common/clock.js';
import { every } from '../common/clock.js';
import type { Logger } from './log.js';

/** What the runtime tells systemd. */
export interface ServiceNotifier {
  /** False where NOTIFY_SOCKET is unset: nothing is sent and no watchdog timer runs. */
  readonly enabled: boolean;
  /** How often the health is checked and, while healthy, the watchdog pinged, ms (half of WatchdogSec); null
   * when systemd watches no watchdog for this process. */
  readonly watchdogIntervalMs: number | null;
  ready(): void;
  watchdog(): void;
  stopping(): void;
}

export const silentNotifier: ServiceNotifier = {
  enabled: false,
  watchdogIntervalMs: null,
  ready() {},
  watchdog() {},
  stopping() {},
};

/** The systemd notifier for this process (silentNotifier where NOTIFY_SOCKET is unset). */
export async function createServiceNotifier(
  opts: NotifierOptions & { readonly log: Logger },
): Promise<ServiceNotifier> {
  const n = await createNotifier(opts);
  if (!n.enabled) return silentNotifier;
  return {
    enabled: true,
    watchdogIntervalMs: watchdogIntervalMs(opts.env ?? process.env, opts.pid ?? process.pid),
    ready: () => n.ready(),
    watchdog: () => n.watchdog(),
    stopping: () => n.stopping(),
  };
}

/**
 * Check `healthy()` every `notifier.watchdogIntervalMs` on `clock` and ping the watchdog only while it holds, so
 * a stalled camera or a hung loop lets systemd restart the service. Returns the function that stops the checks;
 * with no watchdog (or no systemd) no timer runs at all.
 */
export function watchHealth(notifier: ServiceNotifier, healthy: () => boolean, clock: Clock, log: Logger): CancelTimer {
  return startWatchdog(notifier, healthy, {
    intervalMs: notifier.watchdogIntervalMs,
    log,
    schedule: (ms, fn) => every(clock, ms, fn),
  });
}
