// The `gatecode` command: one dispatch table, each area's commands in its own module, loaded on demand
// so that `gatecode pass inspect` never loads SQLite, sharp or the hardware drivers.
import { adoptEarlySignals } from './signals.js';
import type { EarlySignals } from './signals.js';
import { exitCodeFor } from './usage.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  keys: { summary: 'keys init --dir DIR', load: async () => (await import('./keys.js')).run },
  bundle: {
    summary: 'bundle create --root-key FILE --issuer-key FILE... --out FILE',
    load: async () => (await import('./bundle.js')).run,
  },
  revocations: {
    summary: 'revocations create ... (signed revocation list files)',
    load: async () => (await import('./revocations.js')).run,
  },
  pass: { summary: 'pass issue|inspect|verify ...', load: async () => (await import('./pass.js')).run },
  decode: { summary: 'decode IMAGE...', load: async () => (await import('./decode.js')).run },
  scan: { summary: 'scan IMAGE... --bundle FILE', load: async () => (await import('./scan.js')).run },
  device: {
    summary: 'device --config FILE | device enrol --config FILE --code URI | device blank --config FILE',
    load: async () => {
      const [device, enrol, blank] = await Promise.all([
        import('./device.js'),
        import('./enrol.js'),
        import('./device-blank.js'),
      ]);
      return (argv) =>
        argv[0] === 'enrol'
          ? enrol.run(argv.slice(1))
          : argv[0] === 'blank'
            ? blank.run(argv.slice(1))
            : device.run(argv);
    },
  },
  setup: {
    summary: 'setup --config FILE [--root DIR] [--dry-run] [--code URI]',
    load: async () => (await import('./setup.js')).run,
  },
  check: { summary: 'check --config FILE [--json]', load: async () => (await import('./check.js')).run },
  server: {
    summary: 'server [--config FILE] [--data DIR] [--port N]',
    load: async () => (await import('./server.js')).run,
  },
  admin: { summary: 'admin ... --server URL --token T', load: async () => (await import('./admin.js')).run },
  demo: { summary: 'demo [--webcam] [--keep]', load: async () => (await import('./demo.js')).run },
};

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([, c]) => `  gatecode ${c.summary}`);
  return ['usage:', ...lines, '', 'Run `gatecode COMMAND --help` for the options of one command.'].join('\n');
}

/**
 * A reader that went away (`gatecode check | head -1`) is not an error: the rest of the output is dropped and the
 * command finishes its work (setup still writes and enrols) and exits with its own status, without a stack trace.
 */
let quietInstalled = false;
function quietOnClosedStdout(): void {
  if (quietInstalled) return;
  quietInstalled = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

/** `early`: the signals bin/gatecode.js caught before this module loaded; only `device` keeps them. */
export async function main(argv: string[], early?: EarlySignals): Promise<number> {
  quietOnClosedStdout();
  const [name, ...rest] = argv;
  if (name === 'device' && rest[0] !== 'blank' && rest[0] !== 'enrol') adoptEarlySignals(early);
  else early?.release();
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`gatecode: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command(rest);
  } catch (err) {
    // One line on stderr, and the exit code from the one table (exitCodeFor): 2 for usage, 1 for the rest.
    const code = exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`gatecode ${name}: ${message}\n`);
    if (code !== 2 && process.env['GATECODE_DEBUG'] && err instanceof Error && err.stack)
      process.stderr.write(err.stack + '\n');
    return code;
  }
}
