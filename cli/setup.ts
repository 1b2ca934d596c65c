// `gatecode setup --config FILE`: install this gate from one device config (run on the Pi as root). See
// device/install/setup.ts for what it writes and hardware/INSTALL.md for the walkthrough.
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from './package-root.js';
import { parseOptions, UsageError } from './usage.js';

const USAGE = `usage: gatecode setup --config FILE [--root DIR] [--dry-run] [--code URI] [--node PATH] [--app DIR]

Installs the gate described by the device config FILE (run as root on the Pi; idempotent):
  /etc/gatecode/device.yaml                   a copy of FILE
  the status page token file                  when statusPage.tokenFile is set and the file does not exist
  /etc/systemd/system/gatecode-device.service the unit, with the relay pin and safe level from relay.*
  /boot/firmware/config.txt                   a marked block (SPI, relay safe level, input pulls, camera, RTC)
  the user gatecode in the groups gpio, spi, video (useradd / usermod)
  systemctl daemon-reload; systemctl enable gatecode-device
and, with --code, enrols the device (as \`gatecode device enrol\`).

  --root DIR   write under DIR instead of / and run no command (accounts go into DIR/etc/passwd and group)
  --dry-run    change nothing; print what would change and the new content of each file
  --node PATH  Node binary for the unit (default: the one running this command)
  --app DIR    the release directory for the unit (default: the one this command runs from)`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: 'string' },
    root: { type: 'string', default: '/' },
    'dry-run': { type: 'boolean', default: false },
    code: { type: 'string' },
    node: { type: 'string' },
    app: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
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
  const configText = fs.readFileSync(values.config, 'utf8');
  // setup copies the text to /etc/gatecode: a relative path there points elsewhere, and under the unit's
  // ProtectSystem=strict only its StateDirectory is writable. Refuse before anything is written.
  const { parse: parseYaml } = await import('yaml');
  const { DATA_DIR, installedPathProblems } = await import('../device/install/setup.js');
  const { DEFAULT_PATHS: defaults } = await import('../device/install/derive.js');
  const { parseConfig } = await import('../device/config.js');
  const asInstalled = parseConfig(values.config.endsWith('.json') ? JSON.parse(configText) : parseYaml(configText), {
    baseDir: path.dirname(defaults.configFile),
  });
  const problems = installedPathProblems(config, asInstalled);
  if (problems.length > 0) {
    throw new UsageError(
      `${problems.join('; ')} in ${values.config}: write absolute paths (dataDir ${DATA_DIR}), then run setup again`,
    );
  }
  const root = path.resolve(values.root);
  if (root === '/' && !values['dry-run'] && process.getuid?.() !== 0) {
    throw new UsageError('run as root (sudo), or give --root DIR or --dry-run');
  }
  const { DEFAULT_PATHS } = await import('../device/install/derive.js');
  const { runSetup } = await import('../device/install/setup.js');
  const appDir = values.app ?? packageRoot();
  const steps = runSetup({
    config,
    configText,
    root,
    dryRun: values['dry-run'],
    paths: { ...DEFAULT_PATHS, node: values.node ?? process.execPath, appDir },
  });
  for (const s of steps) {
    process.stdout.write(`${s.status.padEnd(12)} ${s.what}: ${s.target}${s.detail ? ` (${s.detail})` : ''}\n`);
    if (values['dry-run'] && s.content !== undefined) {
      process.stdout.write(s.content.replace(/^/gm, '    | ') + '\n');
    }
  }
  const failed = steps.filter((s) => s.status === 'failed');
  if (failed.length > 0) {
    process.stderr.write(`gatecode setup: ${failed.length} step(s) failed\n`);
    return 1;
  }
  if (values.code !== undefined) {
    if (values['dry-run']) {
      process.stdout.write('skipped      enrolment (--dry-run)\n');
    } else {
      const enrol = await import('./enrol.js');
      return enrol.run(['--data', path.join(root, config.dataDir), '--code', values.code, '--name', config.gate]);
    }
  }
  return 0;
}
