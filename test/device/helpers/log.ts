// A logger for tests: silent by default, or collecting every line as parsed JSON.
import { Writable } from 'node:stream';
import { createLogger } from '../../../device/log.js';
import type { Logger } from '../../../device/log.js';

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
