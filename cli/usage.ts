// Errors the CLI reports as one line with exit code 2: bad arguments, unreadable or invalid input files.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Exit code per error, the one table for every command: 2 for bad arguments and unusable input files (the user
 * must change the command line or the file), 1 for everything else (a refusal by the server, a network failure,
 * a bug). Matched by name so that `main` need not load the modules (SQLite, hardware) that define the errors.
 */
const EXIT_CODES: Readonly<Record<string, 2>> = {
  UsageError: 2,
  ConfigError: 2,
  TrustFileError: 2,
  KeyFileError: 2,
};

export function exitCodeFor(err: unknown): 1 | 2 {
  if (!(err instanceof Error)) return 1;
  // An enrolment URI the device cannot read is an argument error like any other.
  if (err.name === 'SyncError' && (err as { code?: unknown }).code === 'BAD_ENROL_URI') return 2;
  return EXIT_CODES[err.name] ?? 1;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parse a command's options (strict: an unknown option is a UsageError). `hint` is added to the message of a
 * refusal, e.g. the usage text. The one wrapper around node:util parseArgs for every command.
 */
export function parseOptions<const O extends Options>(
  args: string[],
  options: O,
  opts: { positionals?: boolean; hint?: string } = {},
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: opts.positionals ?? false });
  } catch (err) {
    throw new UsageError(opts.hint ? `${(err as Error).message}${opts.hint}` : (err as Error).message);
  }
}

/** Parse a duration such as `90s`, `15m`, `48h`, `30d` into seconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: expected a duration like 90s, 15m, 48h or 30d, got "${text}"`);
  const n = Number(m[1]);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

/** Parse an ISO-8601 date-time into epoch seconds. */
export function parseIsoSeconds(text: string, what: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) {
    throw new UsageError(`${what}: expected an ISO date such as 2027-01-31T00:00:00Z, got "${text}"`);
  }
  return Math.floor(ms / 1000);
}

/** What `dispatchSubcommand` needs of a command with subcommands (`gatecode bundle create|show`, …). */
export interface SubcommandSpec<P> {
  readonly command: string;
  readonly usage: string;
  /** Parse the options after the subcommand (throws UsageError). */
  readonly parse: (rest: string[]) => P;
  readonly wantsHelp: (parsed: P) => boolean;
  readonly subcommands: Readonly<Record<string, (parsed: P) => Promise<number> | number>>;
}

/**
 * Run `gatecode COMMAND SUB [options]`: no subcommand prints the usage and exits 2, `--help` prints it and exits 0,
 * an unknown subcommand is a UsageError naming the known ones.
 */
export async function dispatchSubcommand<P>(argv: string[], spec: SubcommandSpec<P>): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(spec.usage + '\n');
    return sub === undefined ? 2 : 0;
  }
  const parsed = spec.parse(rest);
  if (spec.wantsHelp(parsed)) {
    process.stdout.write(spec.usage + '\n');
    return 0;
  }
  const handler = Object.hasOwn(spec.subcommands, sub) ? spec.subcommands[sub] : undefined;
  if (!handler) {
    throw new UsageError(`${spec.command}: unknown subcommand "${sub}" (${Object.keys(spec.subcommands).join(', ')})`);
  }
  return handler(parsed);
}
