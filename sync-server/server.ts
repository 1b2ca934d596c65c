// Start and stop the sync server: open the data dir (keys, admin token, database), build the app, listen.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import pino, { type Logger } from 'pino';
import { AdminTokens } from './admins.js';
import type { ServerConfig } from './config.js';
import { systemClock } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { ServerCore } from './core.js';
import { DeviceService } from './devices.js';
import { createApp } from './http/app.js';
import { wantsPartitions } from './http/device-partitions.js';
import type { Services } from './http/env.js';
import { PassService } from './passes.js';
import { ClaimService } from './claims.js';
import { AlarmService } from './alarms.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { WebhookService } from './webhooks/service.js';
import { PushHub } from './push.js';
import { RateLimiter } from './rate-limit.js';
import { RemoteCommandService } from './remote.js';

export interface OpenedServer {
  readonly services: Services;
  readonly tokenFile: string;
  /** Set on first start only: the admin token id that was written to tokenFile. */
  readonly createdAdminToken: string | null;
  readonly createdKeys: boolean;
}

export interface OpenOptions {
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Revoke every admin token and write a new one to admin.token (a lost or leaked token). */
  readonly newAdminToken?: boolean;
}

/** Open the data dir and everything in it; first start creates keys, policy, bundle and the admin token. */
export function openServer(config: ServerConfig, opts: OpenOptions = {}): OpenedServer {
  const log = opts.log ?? pino({ level: 'silent' });
  const clock = opts.clock ?? systemClock;
  const core = new ServerCore({ config, log, ...(opts.clock ? { clock } : {}) });
  try {
    const { createdKeys } = core.init();
    const admins = new AdminTokens(core.db);
    const tokenFile = path.join(config.dataDir, 'admin.token');
    let createdAdminToken: string | null = null;
    if (opts.newAdminToken) {
      const revoked = admins.revokeAll(core.now());
      if (revoked > 0) core.audit.record(core.now(), 'server', 'admin-token.revoke-all', null, { count: revoked });
    }
    if (admins.count() === 0) {
      createdAdminToken = admins.create(tokenFile, core.now()).id;
      core.audit.record(core.now(), 'server', 'admin-token.create', createdAdminToken);
    }
    const passes = new PassService(core);
    const webhooks = new WebhookService(core);
    const push = new PushHub(clock, config.push.heartbeatSeconds * 1000);
    const services: Services = {
      core,
      passes,
      claims: new ClaimService(core, passes),
      devices: new DeviceService(core),
      admins,
      alarms: new AlarmService(core, webhooks),
      webhooks,
      push,
      remote: new RemoteCommandService(core, push),
      limits: {
        perAddress: new RateLimiter(config.rateLimit.perAddress, () => clock.now()),
        perToken: new RateLimiter(config.rateLimit.perToken, () => clock.now()),
        enrolPerAddress: new RateLimiter(config.rateLimit.enrolPerAddress, () => clock.now()),
      },
    };
    return { services, tokenFile, createdAdminToken, createdKeys };
  } catch (err) {
    core.close();
    throw err;
  }
}

export interface RunningServer extends OpenedServer {
  readonly url: string;
  readonly port: number;
  /** Stop accepting, finish open requests (up to `graceMs`), close the database. */
  close(graceMs?: number): Promise<void>;
}

/**
 * A list large enough for partitions: build them now, in the background (revocation-partitions.ts yields between
 * partitions), rather than when the first gate asks. A failure is logged; the next request builds again.
 */
function warmPartitions(s: Services): void {
  const { core } = s;
  try {
    core.assertLive(core.now());
    if (!wantsPartitions(s)) return;
  } catch {
    return; // past the sunset nothing more is signed
  }
  const started = Date.now();
  core.revocations.partitions.currentManifest(() => core.now()).then(
    (m) => core.log.info({ seq: m.seq, ms: Date.now() - started }, 'revocation partitions built'),
    (err: unknown) => {
      if (core.db.open) core.log.warn({ err: (err as Error).message }, 'building the revocation partitions failed');
    },
  );
}

export async function startServer(
  config: ServerConfig,
  opts: OpenOptions & { adminPageDir?: string } = {},
): Promise<RunningServer> {
  const opened = openServer(config, opts);
  const { core } = opened.services;
  let ready = false;
  const app = createApp(opened.services, {
    ready: () => ready,
    ...(opts.adminPageDir ? { adminPageDir: opts.adminPageDir } : {}),
  });
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    core.close();
    throw err;
  }
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  core.listenUrl = url;
  // Webhook deliveries are sent only by a listening server (not by CLI commands that open the data dir).
  const dispatcher = new WebhookDispatcher(core, opened.services.webhooks);
  dispatcher.start();
  ready = true;
  warmPartitions(opened.services);

  let closing: Promise<void> | null = null;
  const close = (graceMs = 5000): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      ready = false;
      opened.services.push.closeAll(); // push streams never end by themselves
      const timer = setTimeout(() => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }, graceMs);
      timer.unref();
      const stopped = dispatcher.stop();
      server.close(() => {
        clearTimeout(timer);
        void stopped.finally(() => {
          opened.services.devices.flushSeen(); // the last requests' last-seen times
          core.close();
          resolve();
        });
      });
      (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    });
    return closing;
  };
  return { ...opened, url, port: addr.port, close };
}
