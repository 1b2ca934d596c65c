// Put the relay in its safe state on every way out of the process that Node can see: normal exit, SIGTERM,
// SIGINT, SIGHUP, an uncaught exception or unhandled rejection. SIGKILL and power loss cannot be caught: the
// systemd unit's ExecStopPost and the gpio= line in config.txt cover those.
//
// It changes no behaviour: after the relay is safe, a signal nobody else handles still ends the process as the
// signal would (re-raised with the default action), and an uncaught exception still crashes it (the monitor event
// is used, not a handler).

import type { Logger } from 'pino';

interface SafeTarget {
  safe(): void;
}

/** The part of `process` this needs. */
export type ExitProcess = Pick<NodeJS.Process, 'pid' | 'on' | 'removeListener' | 'listeners' | 'kill'>;

/** Marks our own signal listeners, so that several installations still re-raise an unhandled signal. */
const OURS = Symbol('gatecode.safeExit');

const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** Returns a function that removes the handlers again. */
export function installSafeExit(target: SafeTarget, proc: ExitProcess = process, log?: Logger): () => void {
  const makeSafe = (why: string) => {
    try {
      target.safe();
    } catch (e) {
      // nothing more can be done from here; say so loudly
      log?.fatal({ err: e, why }, 'could not put the relay in its safe state');
    }
  };
  const onExit = () => makeSafe('exit');
  const onMonitor = (err: unknown) => {
    makeSafe('uncaught exception');
    log?.fatal({ err }, 'uncaught exception: relay made safe');
  };
  const onSignal = Object.assign(
    (signal: NodeJS.Signals) => {
      makeSafe(signal);
      log?.info({ signal }, 'signal received: relay made safe');
      // if no one but safe-exit handlers listens, end the process the way the signal would have
      const others = proc.listeners(signal).filter((l) => !(OURS in l));
      if (others.length === 0) {
        uninstall();
        proc.kill(proc.pid, signal);
      }
    },
    { [OURS]: true },
  );
  proc.on('exit', onExit);
  proc.on('uncaughtExceptionMonitor', onMonitor);
  for (const s of SIGNALS) proc.on(s, onSignal);
  const uninstall = () => {
    proc.removeListener('exit', onExit);
    proc.removeListener('uncaughtExceptionMonitor', onMonitor);
    for (const s of SIGNALS) proc.removeListener(s, onSignal);
  };
  return uninstall;
}
