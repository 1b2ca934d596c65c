import { describe, expect, it } from 'vitest';
import { parseDuration, parseIsoSeconds, UsageError } from '../../cli/usage.js';

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
});
