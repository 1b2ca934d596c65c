// Server configuration: one zod schema gives the runtime check, the defaults and the TypeScript type.
// Unknown keys are errors, every failing path is reported at once. The file may be YAML or JSON.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DELTA_PAGE_ENTRIES } from '../protocol/revocation-pages.js';

const bucket = (rate: number, burst: number) =>
  z
    .strictObject({
      ratePerSecond: z.number().positive().default(rate),
      burst: z.number().int().positive().default(burst),
    })
    .prefault({});

const colourAction = z.enum(['open', 'attention', 'deny']);

export const serverConfigSchema = z.strictObject({
  /** Interface to listen on. Loopback by default; the container passes `--host 0.0.0.0`. */
  host: z.string().min(1).default('127.0.0.1'),
  /** TCP port; 0 picks a free one (the URL printed on start says which). */
  port: z.number().int().min(0).max(65535).default(8470),
  /** Data directory: SQLite database, keys, admin token, publish dir. */
  dataDir: z.string().min(1).default('gatecode-data'),
  /** URL devices use to reach this server, put into enrolment codes. Default: the URL the admin request came in on. */
  publicUrl: z.url().nullable().default(null),
  /** Directory the signed bundle and revocation files are written to; default `<dataDir>/publish`. */
  publishDir: z.string().min(1).nullable().default(null),
  /** Changes within this many milliseconds are written to the publish dir together; 0 writes after each one. */
  publishDelayMs: z.number().int().min(0).max(60_000).default(250),
  /**
   * The served freshness statement is signed afresh this often (and at once on every change), never per poll. A
   * shorter period makes a gate's data time follow the clock more closely at the cost of one signature per period.
   */
  freshnessRefreshSeconds: z.number().int().min(1).max(30).default(10),
  /** Issuer name written into passes and the bundle. */
  issuer: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, '1-32 characters of A-Z a-z 0-9 . _ -')
    .default('gatecode'),
  /** Existing key files to use instead of generating them on first start. */
  keys: z
    .strictObject({
      root: z.string().min(1).nullable().default(null),
      issuer: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  /** Take the client address from the last X-Forwarded-For entry, as set by a reverse proxy you run in front. */
  trustProxy: z.boolean().default(false),
  /** Largest request body accepted, bytes. */
  bodyLimitBytes: z
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  rateLimit: z
    .strictObject({
      perAddress: bucket(50, 200),
      perToken: bucket(20, 100),
      /** Enrolment attempts (unauthenticated, guessable codes) per address. */
      enrolPerAddress: bucket(0.1, 10),
    })
    .prefault({}),
  enrolment: z
    .strictObject({
      defaultTtlSeconds: z.number().int().positive().default(3600),
      maxTtlSeconds: z
        .number()
        .int()
        .positive()
        .default(7 * 86400),
    })
    .prefault({}),
  revocations: z
    .strictObject({
      /** Sequence steps kept as deltas; a device further behind gets a snapshot. */
      keepSteps: z.number().int().min(1).default(1000),
      /** Steps older than this are compacted too, whatever their number. */
      keepSeconds: z
        .number()
        .int()
        .min(60)
        .default(30 * 86400),
      /**
       * A device that needs a whole list and takes partitions gets the partition manifest instead of one snapshot
       * when the list holds at least this many ids.
       */
      partitionAbove: z.number().int().min(0).default(100_000),
      /**
       * Entries per delta page: a device that takes pages gets a change of more than this many ids as a page set.
       * The protocol's DELTA_PAGE_ENTRIES (262,144) is also the most; fewer only to test paging with small lists.
       */
      pageEntries: z.number().int().min(2).max(DELTA_PAGE_ENTRIES).default(DELTA_PAGE_ENTRIES),
    })
    .prefault({}),
  events: z
    .strictObject({
      retentionSeconds: z
        .number()
        .int()
        .min(60)
        .default(7 * 86400),
      maxBatch: z.number().int().min(1).max(10_000).default(1000),
      /**
       * Events one device may upload: a token bucket counted in events (a gate's busiest hours stay far below;
       * a week's backlog after an outage drains in a few hours). Beyond it: 429 EVENT_QUOTA with Retry-After.
       */
      perDevice: z
        .strictObject({
          ratePerSecond: z.number().positive().default(5),
          burst: z.number().int().min(1).default(50_000),
        })
        .prefault({}),
      /** Events held in total (about 200 bytes each); beyond it uploads get 507 EVENT_STORAGE_FULL. */
      maxStored: z.number().int().min(1000).default(2_000_000),
    })
    .prefault({}),
  /** Alarms devices report (POST /api/device/alarms): a quota per device and a bound on what is held. */
  alarms: z
    .strictObject({
      /** Alarm transitions one device may send: a token bucket counted in transitions. Beyond: 429 EVENT_QUOTA. */
      perDevice: bucket(1, 600),
      /** Alarms held in total; beyond it the oldest acknowledged (then the oldest cleared) go first. */
      maxStored: z.number().int().min(100).default(100_000),
    })
    .prefault({}),
  /** Outgoing webhooks (sync-server/webhooks/): retries with exponential backoff and jitter. */
  webhooks: z
    .strictObject({
      /** Delay after the first failed attempt, ms; doubles with every further failure, up to retryMaxMs. */
      retryBaseMs: z.number().int().min(10).default(10_000),
      retryMaxMs: z.number().int().min(10).default(3_600_000),
      /** Attempts before a delivery is given up (marked failed in the delivery log). */
      maxAttempts: z.number().int().min(1).max(50).default(10),
      /** Time limit of one attempt, ms. */
      timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
      maxHooks: z.number().int().min(1).max(1000).default(50),
      /** Deliveries kept in the log (the oldest finished ones go first). */
      keepDeliveries: z.number().int().min(100).default(10_000),
    })
    .prefault({}),
  push: z
    .strictObject({
      /** A ping goes down every device's push stream this often (proxies close idle streams). */
      heartbeatSeconds: z.number().min(0.05).max(300).default(15),
    })
    .prefault({}),
  /** Policy written into the first bundle; later changes go through the admin API. */
  initialPolicy: z
    .strictObject({
      actions: z
        .strictObject({
          green: colourAction.default('open'),
          yellow: colourAction.default('attention'),
          red: colourAction.default('deny'),
        })
        .prefault({}),
      maxOfflineAgeSeconds: z
        .number()
        .int()
        .positive()
        .default(48 * 3600),
      /** Sunset of the first bundle, days after first start. */
      sunsetAfterDays: z.number().int().positive().default(365),
    })
    .prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** Validate a config object; throws ConfigError naming every failing path. */
export function parseConfig(input: unknown): ServerConfig {
  const result = serverConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** Read a YAML or JSON config file. Relative paths inside it are resolved against the file's folder. */
export function loadConfigFile(file: string): ServerConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch {
    throw new ConfigError([`${file}: not valid YAML or JSON`]);
  }
  const config = parseConfig(raw);
  const base = path.dirname(path.resolve(file));
  const rel = (p: string | null) => (p === null ? null : path.resolve(base, p));
  return {
    ...config,
    dataDir: path.resolve(base, config.dataDir),
    publishDir: rel(config.publishDir),
    keys: { root: rel(config.keys.root), issuer: rel(config.keys.issuer) },
  };
}
