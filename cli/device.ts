// `gatecode device --config FILE`: run the scanner. With simulated parts (config `hardware`, `camera.source`) it
// runs on any machine. SIGTERM and SIGINT stop it cleanly with the relay safe; exit 0.
import fs from 'node:fs';
import { parseOptions, UsageError } from './usage.js';

const USAGE = `usage: gatecode device --config FILE

Run the gate scanner described by FILE (JSON or YAML; keys and defaults in docs/device-config.md).
Camera, GPIO and LED ring are real where the devices exist and simulated elsewhere (or as the config says).
SIGTERM / SIGINT stop it with the relay in its safe state.`;

function packageVersion(): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version;
  } catch {
    return undefined;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.config === undefined) throw new UsageError('--config FILE is required');

  const { ConfigError, loadConfig } = await import('../device/config.js');
  let config;
  try {
    config = loadConfig(values.config);
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
  const notifier = await createServiceNotifier({ log });
  const version = packageVersion();
  // A TrustFileError (an unusable bundle or revocation file) exits 2 (exitCodeFor).
  const device = await startDevice(config, { log, notifier, ...(version ? { version } : {}) });

  // Last resort on any exit path this process still sees: the relay pin to its safe level, synchronously.
  const onExit = (): void => device.runtime.safeNow();
  process.on('exit', onExit);
  let signalled: NodeJS.Signals | null = null;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled !== null) return;
      signalled = signal;
      log.info({ signal }, 'stopping');
      device.stop().then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // The camera ended by itself (a replay that does not loop): stop as well.
    void device.runtime.done.then(() => device.stop()).then(resolve, resolve);
  });
  await stopped;
  process.removeListener('exit', onExit);
  return 0;
}
