// Logging for the device: one pino root, a child per area (runtime, pipeline, gate, leds, sync, …). A pass is
// logged only as a short keyed hash of its id and the reason; fields that could hold a payload are removed
// before anything is written, so a careless call cannot leak a pass.
import { pino } from 'pino';
import type { DestinationStream, Logger, LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export const LOG_AREAS = [
  'runtime',
  'pipeline',
  'decide',
  'gate',
  'leds',
  'buzzer',
  'store',
  'sync',
  'camera',
  'status',
  'mqtt',
  'remote',
] as const;
export type LogArea = (typeof LOG_AREAS)[number];

/** Fields that never reach a log line, at the top level and one level down. */
const NEVER_LOGGED = ['text', 'payload', 'passId', 'revocationId', 'claims', 'token'];

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Where lines go; stdout by default (journald picks it up under systemd). */
  readonly destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { app: 'gatecode-device' },
    redact: { paths: [...NEVER_LOGGED, ...NEVER_LOGGED.map((f) => `*.${f}`)], remove: true },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** The logger of one area: every line carries `area`. */
export function areaLogger(root: Logger, area: LogArea): Logger {
  return root.child({ area });
}

/** The form of a pass hash that goes into logs: the first 16 hex digits of the store's keyed hash. */
export function logHash(passHash: string | null): string | null {
  return passHash === null ? null : passHash.slice(0, 16);
}
