// Test helper: a real pino logger whose records the test can read.
import { pino } from 'pino';
import type { Logger } from 'pino';

export function captureLog(): { log: Logger; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { log, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
