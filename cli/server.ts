// `gatecode server`: the sync server with embedded defaults, on loopback unless told otherwise.
import path from 'node:path';
import pino from 'pino';
import { loadConfigFile, parseConfig, type ServerConfig } from '../sync-server/config.js';
import { startServer } from '../sync-server/server.js';
import { parseOptions, UsageError } from './usage.js';

const USAGE = `usage: gatecode server [--config FILE] [--data DIR] [--port N] [--host H] [--public-url URL]
                       [--new-admin-token]
       gatecode server backup|restore ... (gatecode server backup --help)

Starts the sync server. Without a config file it uses embedded defaults: 127.0.0.1:8470,
data in ./gatecode-data. The first start creates the root and issuer keys and writes the
admin token to DIR/admin.token (mode 0600). Stops cleanly on SIGTERM or SIGINT.

  --config FILE  YAML or JSON config (see docs/server.md); flags override it
  --data DIR     data directory (database, keys, admin token, publish/)
  --port N       TCP port (0 picks a free one)
  --host H       interface to listen on (0.0.0.0 in a container)
  --public-url URL  the URL gates reach this server at, put into enrolment codes; needed
                 for enrolment codes unless the server listens on loopback
  --new-admin-token  revoke every admin token and write a new one to DIR/admin.token`;

export function resolveServerConfig(argv: string[]): { config: ServerConfig; newAdminToken: boolean } | null {
  const { values } = parseOptions(argv, {
    config: { type: 'string' },
    data: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'public-url': { type: 'string' },
    'new-admin-token': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return null;
  // A ConfigError exits 2 (exitCodeFor).
  const base = values.config ? loadConfigFile(values.config) : parseConfig({});
  let port = base.port;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535)
      throw new UsageError(`--port: expected 0-65535, got "${values.port}"`);
    port = Number(values.port);
  }
  let publicUrl = base.publicUrl;
  if (values['public-url'] !== undefined) {
    if (!URL.canParse(values['public-url']) || !/^https?:$/.test(new URL(values['public-url']).protocol))
      throw new UsageError(`--public-url: expected an http(s) URL, got "${values['public-url']}"`);
    publicUrl = values['public-url'];
  }
  return {
    config: {
      ...base,
      port,
      publicUrl,
      host: values.host ?? base.host,
      dataDir: path.resolve(values.data ?? base.dataDir),
    },
    newAdminToken: values['new-admin-token'] === true,
  };
}

export async function run(argv: string[]): Promise<number> {
  const [sub] = argv;
  if (sub === 'backup' || sub === 'restore') {
    const { runBackup } = await import('./server-backup.js');
    return runBackup(sub, argv.slice(1));
  }
  if (sub !== undefined && !sub.startsWith('-'))
    throw new UsageError(`server: unknown subcommand "${sub}" (backup, restore; or options to run the server)`);
  const resolved = resolveServerConfig(argv);
  if (resolved === null) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const { config, newAdminToken } = resolved;
  const log = pino({ name: 'sync-server', level: config.logLevel }, pino.destination(2));
  const server = await startServer(config, { log, newAdminToken });
  const out = process.stdout;
  out.write(`gatecode server listening on ${server.url}\n`);
  out.write(`admin page: ${server.url}/admin/\n`);
  if (server.createdAdminToken) out.write(`admin token written to ${server.tokenFile} (new)\n`);
  else out.write(`admin token: in ${server.tokenFile}\n`);
  out.write(`publish dir: ${server.services.core.publishDir}\n`);
  log.info({ url: server.url, dataDir: config.dataDir }, 'server started');

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      log.info({ signal }, 'stopping');
      void server.close().then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  out.write('gatecode server stopped\n');
  return 0;
}
