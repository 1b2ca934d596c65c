// Loggers for tests: silent, collecting every line of the device logger as parsed JSON, or a plain pino logger
// whose records a driver test reads.
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { createLogger } from '../../device/log.js';
import type { Logger } from '../../device/log.js';

export function silentLog(): Logger {
  return createLogger({ level: 'silent' });
}

export function collectingLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}

export function captureLog(): { log: Logger; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { log, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
