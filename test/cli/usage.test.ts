import { describe, expect, it, vi } from 'vitest';
import {
  dispatchSubcommand,
  exitCodeFor,
  parseDuration,
  parseIsoSeconds,
  parseOptions,
  UsageError,
} from '../../cli/usage.js';

describe('cli argument parsing', () => {
  it('parses durations in s, m, h and d', () => {
    expect(parseDuration('90s', 'x')).toBe(90);
    expect(parseDuration('15m', 'x')).toBe(900);
    expect(parseDuration('48h', 'x')).toBe(172_800);
    expect(parseDuration('30d', 'x')).toBe(2_592_000);
  });

  it.each(['', '10', '5w', '-1d', '1.5h', 'h'])('rejects the duration %j with a UsageError', (text) => {
    expect(() => parseDuration(text, '--valid-for')).toThrow(UsageError);
  });

  it('parses ISO dates to epoch seconds and rejects other text', () => {
    expect(parseIsoSeconds('2027-01-31T00:00:00Z', 'x')).toBe(1_801_353_600);
    expect(() => parseIsoSeconds('tomorrow', '--now')).toThrow(UsageError);
    expect(() => parseIsoSeconds('2027-13-45', '--now')).toThrow(UsageError);
  });

  it('dispatches subcommands: usage without one (exit 2), --help (exit 0), unknown ones refused', async () => {
    const calls: string[][] = [];
    const spec = {
      command: 'thing',
      usage: 'usage: gatecode thing make|show',
      parse: (rest: string[]) => ({ rest, help: rest.includes('--help') }),
      wantsHelp: (p: { help: boolean }) => p.help,
      subcommands: {
        make: (p: { rest: string[] }) => {
          calls.push(['make', ...p.rest]);
          return 0;
        },
        show: async () => 3,
      },
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await dispatchSubcommand([], spec)).toBe(2);
      expect(await dispatchSubcommand(['--help'], spec)).toBe(0);
      expect(await dispatchSubcommand(['make', '--help'], spec)).toBe(0);
      expect(out).toHaveBeenCalledTimes(3);
    } finally {
      out.mockRestore();
    }
    expect(await dispatchSubcommand(['make', '--x', '1'], spec)).toBe(0);
    expect(await dispatchSubcommand(['show'], spec)).toBe(3);
    expect(calls).toEqual([['make', '--x', '1']]);
    await expect(dispatchSubcommand(['toString'], spec)).rejects.toThrow(UsageError);
    await expect(dispatchSubcommand(['nope'], spec)).rejects.toThrow(/unknown subcommand "nope" \(make, show\)/);
  });
});

describe('one option parser and one exit-code table', () => {
  it('parses typed options and refuses an unknown one as a UsageError with the hint', () => {
    const { values, positionals } = parseOptions(
      ['--out', 'f', 'x'],
      { out: { type: 'string' } },
      { positionals: true },
    );
    expect(values.out).toBe('f');
    expect(positionals).toEqual(['x']);
    expect(() => parseOptions(['--bogus'], {}, { hint: ' (see --help)' })).toThrow(UsageError);
    expect(() => parseOptions(['--bogus'], {}, { hint: ' (see --help)' })).toThrow(/bogus.* \(see --help\)$/);
    expect(() => parseOptions(['x'], {})).toThrow(UsageError);
  });

  it('maps usage and bad input files to 2, everything else to 1', () => {
    const named = (name: string, code?: string) => Object.assign(new Error('m'), { name, code });
    expect(exitCodeFor(new UsageError('m'))).toBe(2);
    for (const name of ['ConfigError', 'TrustFileError', 'KeyFileError']) expect(exitCodeFor(named(name))).toBe(2);
    expect(exitCodeFor(named('SyncError', 'BAD_ENROL_URI'))).toBe(2);
    expect(exitCodeFor(named('SyncError', 'NETWORK'))).toBe(1);
    expect(exitCodeFor(named('AdminApiError'))).toBe(1);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    expect(exitCodeFor('not an error')).toBe(1);
  });
});
