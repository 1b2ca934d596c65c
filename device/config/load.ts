// Reading the device config: JSON or YAML, checked against the schema, every problem reported at once as
// `path: message` lines. Relative paths in the file are resolved against the file's own directory.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { CONFIG_VERSION, deviceConfigSchema } from './schema.js';
import type { DeviceConfig } from './schema.js';

export interface ConfigIssue {
  /** Dotted path of the key, e.g. `relay.pin`, `inputs.door`; `(file)` for the file as a whole. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'INVALID_CONFIG' as const;

  constructor(
    readonly issues: readonly ConfigIssue[],
    readonly file: string | null = null,
  ) {
    super(
      `${file === null ? 'device config' : file} is not valid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    );
  }
}

function pathText(p: readonly PropertyKey[]): string {
  if (p.length === 0) return '(top level)';
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
}

function toIssues(error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One line per unknown key, so each can be found and fixed.
      for (const key of issue.keys) out.push({ path: pathText([...issue.path, key]), message: 'unknown key' });
    } else {
      out.push({ path: pathText(issue.path), message: issue.message });
    }
  }
  return out;
}

/**
 * Bring a config of an older format to CONFIG_VERSION. Version 1 (no `version` key, gatecode 0.1) has the same keys
 * as version 2: it only gains the key. Each migration step calls `note` with what to change in the file. A version
 * newer than this gatecode knows, or one that is not a whole number, is a ConfigError.
 */
export function migrateConfig(input: unknown, note: (message: string) => void = () => {}, file: string | null = null): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input; // the schema says why
  const raw = input as Record<string, unknown>;
  const version = raw['version'] ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ConfigError([{ path: 'version', message: `expected a whole number from 1 to ${CONFIG_VERSION}` }], file);
  }
  if (version > CONFIG_VERSION) {
    throw new ConfigError(
      [{ path: 'version', message: `version ${version} is newer than this gatecode reads (${CONFIG_VERSION}): update gatecode` }],
      file,
    );
  }
  if (version === 1) {
    note(`config format version 1 (no \`version\` key): read as version ${CONFIG_VERSION}; add \`version: ${CONFIG_VERSION}\` at the top of the file to migrate`);
    return { version: CONFIG_VERSION, ...raw };
  }
  return raw;
}

/** Resolve the file paths of the config against `baseDir` (absolute paths stay as they are). */
function resolvePaths(config: DeviceConfig, baseDir: string): DeviceConfig {
  const abs = (p: string): string => path.resolve(baseDir, p);
  const opt = (p: string | undefined): string | undefined => (p === undefined ? undefined : abs(p));
  return {
    ...config,
    dataDir: abs(config.dataDir),
    camera: {
      ...config.camera,
      replay: { ...config.camera.replay, files: config.camera.replay.files?.map(abs) },
    },
    statusPage: { ...config.statusPage, tokenFile: opt(config.statusPage.tokenFile) },
    trust: {
      ...config.trust,
      bundleFile: opt(config.trust.bundleFile),
      revocationsFile: opt(config.trust.revocationsFile),
    },
    ...(config.mqtt === undefined
      ? {}
      : {
          mqtt: {
            ...config.mqtt,
            passwordFile: opt(config.mqtt.passwordFile),
            caFile: opt(config.mqtt.caFile),
            certFile: opt(config.mqtt.certFile),
            keyFile: opt(config.mqtt.keyFile),
          },
        }),
  };
}

/**
 * Check a config object (as parsed from JSON or YAML) and fill in the defaults. Throws ConfigError listing every
 * problem. With `baseDir`, relative file paths are resolved against it.
 */
export function parseConfig(
  input: unknown,
  opts: { baseDir?: string; file?: string; onMigrate?: (message: string) => void } = {},
): DeviceConfig {
  const result = deviceConfigSchema.safeParse(migrateConfig(input, opts.onMigrate, opts.file ?? null));
  if (!result.success) throw new ConfigError(toIssues(result.error), opts.file ?? null);
  const config = opts.baseDir === undefined ? result.data : resolvePaths(result.data, opts.baseDir);
  return deepFreeze(config);
}

/** Read `file` (`.json`, or `.yaml`/`.yml`; other names are tried as YAML, which also reads JSON) and check it. */
export function loadConfig(file: string, opts: { onMigrate?: (message: string) => void } = {}): DeviceConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError([{ path: '(file)', message: `cannot read the file (${code})` }], file);
  }
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const what = file.endsWith('.json') ? 'JSON' : 'YAML';
    const detail = err instanceof Error ? err.message.split('\n')[0] : 'syntax error';
    throw new ConfigError([{ path: '(file)', message: `not valid ${what}: ${detail}` }], file);
  }
  return parseConfig(data, { baseDir: path.dirname(path.resolve(file)), file, ...opts });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
