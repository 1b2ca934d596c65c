// `gatecode device --config FILE`: run the scanner. With simulated parts (config `hardware`, `camera.source`) it
// runs on any machine. SIGTERM and SIGINT stop it cleanly with the relay safe; exit 0.
import { EXIT_CONFIG } from '../device/install/derive.js';
import { packageVersion } from './package-root.js';
import { earlySignals } from './signals.js';
import { parseOptions, UsageError } from './usage.js';

const USAGE = `usage: gatecode device --config FILE

Run the gate scanner described by FILE (JSON or YAML; keys and defaults in docs/device-config.md).
Camera, GPIO and LED ring are real where the devices exist and simulated elsewhere (or as the config says).
SIGTERM / SIGINT stop it with the relay in its safe state (also when they arrive during start-up).
A fault that a restart cannot mend (camera binary missing, no camera access, a replay file that cannot be read,
no GPIO or SPI access) ends it with one "fatal:" log line and exit status 78.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.config === undefined) throw new UsageError('--config FILE is required');

  const { ConfigError, loadConfig } = await import('../device/config.js');
  let config;
  const migrationNotes: string[] = [];
  try {
    config = loadConfig(values.config, { onMigrate: (message) => migrationNotes.push(message) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      throw new UsageError(`${err.issues.length} problem(s) in ${values.config}`);
    }
    throw err;
  }

  const { createLogger } = await import('../device/log.js');
  const { createServiceNotifier } = await import('../device/notify.js');
  const { startDevice } = await import('../device/boot.js');
  const log = createLogger({ level: config.logLevel });

  // A stop asked for before or during start-up (bin/gatecode.js caught it) is honoured once start-up is done.
  const early = earlySignals();
  let signalled: NodeJS.Signals | null = early?.pending ?? null;
  let onSignal: (signal: NodeJS.Signals) => void = (signal) => {
    signalled ??= signal;
  };
  const forward = (signal: NodeJS.Signals): void => onSignal(signal);
  const unsubscribe =
    early?.subscribe(forward) ??
    ((): void => {
      process.removeListener('SIGTERM', forward);
      process.removeListener('SIGINT', forward);
    });
  if (!early) {
    process.on('SIGTERM', forward);
    process.on('SIGINT', forward);
  }
  if (signalled !== null) {
    log.info({ signal: signalled }, 'stopped before start-up');
    return 0;
  }

  for (const note of migrationNotes) log.warn({ file: values.config }, note);
  const notifier = await createServiceNotifier({ log });
  const version = packageVersion();
  let device;
  try {
    device = await startDevice(config, { log, notifier, ...(version ? { version } : {}) });
  } catch (err) {
    // A TrustFileError (an unusable bundle or revocation file) goes on to main and exits 2 (exitCodeFor).
    if (isFatalHardwareError(err)) return fatal(log, err);
    throw err;
  }

  // Last resort on any exit path this process still sees: the relay pin to its safe level, synchronously.
  const onExit = (): void => device.runtime.safeNow();
  process.on('exit', onExit);
  const stopped = new Promise<void>((resolve) => {
    onSignal = (signal: NodeJS.Signals): void => {
      if (signalled !== null) return;
      signalled = signal;
      log.info({ signal }, 'stopping');
      device.stop().then(resolve, resolve);
    };
    if (signalled !== null) {
      const signal = signalled;
      signalled = null;
      onSignal(signal);
    }
    // The camera ended by itself (a replay that does not loop, or a fatal camera error): stop as well.
    void device.runtime.done.then(() => device.stop()).then(resolve, resolve);
  });
  await stopped;
  unsubscribe();
  process.removeListener('exit', onExit);
  const failure = device.runtime.failure;
  if (signalled === null && isFatalHardwareError(failure)) return fatal(log, failure);
  return 0;
}

/** Typed hardware errors (camera, GPIO, LED ring): a restart cannot mend them (missing binary, bad file, access). */
function isFatalHardwareError(err: unknown): err is Error & { code: string } {
  return (
    err instanceof Error &&
    ['CameraError', 'GpioError', 'LedError'].includes(err.name) &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

/** One clear log line, and the exit status the unit's RestartPreventExitStatus names. */
function fatal(log: { fatal: (obj: object, msg: string) => void }, err: Error & { code: string }): number {
  log.fatal({ code: err.code, exitStatus: EXIT_CONFIG }, `fatal: ${err.message}`);
  return EXIT_CONFIG;
}
