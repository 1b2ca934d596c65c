// Errors the CLI reports as one line with exit code 2: bad arguments, unreadable or invalid input files.
export class UsageError extends Error {
  override readonly name = 'UsageError';
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
