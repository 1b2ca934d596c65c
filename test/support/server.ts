// The sync server for tests in process: opened in a temp data dir on the kit's ManualClock, called through Hono.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, type ServerConfig, type ServerConfigInput } from '../../sync-server/config.js';
import { createApp } from '../../sync-server/http/app.js';
import { openServer, type OpenedServer } from '../../sync-server/server.js';
import { ManualClock } from './clock.js';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
}

export function testConfig(dataDir: string, overrides: ServerConfigInput = {}): ServerConfig {
  return parseConfig({
    dataDir,
    port: 0,
    logLevel: 'silent',
    publishDelayMs: 0,
    rateLimit: {
      perAddress: { ratePerSecond: 1000, burst: 10_000 },
      perToken: { ratePerSecond: 1000, burst: 10_000 },
      enrolPerAddress: { ratePerSecond: 100, burst: 100 },
    },
    ...overrides,
  });
}

export interface TestServer extends OpenedServer {
  readonly app: ReturnType<typeof createApp>;
  readonly clock: ManualClock;
  readonly dir: string;
  readonly token: string;
  /** Request with the admin token. */
  admin(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Request with a device token. */
  device(
    token: string,
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  close(): void;
}

export function openTestServer(
  overrides: ServerConfigInput = {},
  clock = new ManualClock(),
  dir = tempDir(),
): TestServer {
  const config = testConfig(dir, overrides);
  const opened = openServer(config, { clock });
  const app = createApp(opened.services);
  const token = fs.readFileSync(opened.tokenFile, 'utf8').trim();
  const call = async (
    auth: string | null,
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    await app.request(url, {
      method,
      headers: {
        ...(auth ? { Authorization: `Bearer ${auth}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  return {
    ...opened,
    app,
    clock,
    dir,
    token,
    admin: (method, url, body, headers) => call(token, method, url, body, headers),
    device: (t, method, url, body, headers) => call(t, method, url, body, headers),
    close: () => opened.services.core.close(),
  };
}

export function cleanup(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Issue an enrolment code and redeem it; returns the device's credentials. */
export async function enrolDevice(
  s: TestServer,
  name = 'gate-1',
): Promise<{ deviceId: string; token: string; rootPublicKey: string }> {
  const res = await s.admin('POST', '/api/admin/enrolments', {});
  const { code } = (await res.json()) as { code: string };
  const r = await s.app.request('/api/device/enrol', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, name }),
  });
  if (r.status !== 201) throw new Error(`enrol failed: ${r.status}`);
  return (await r.json()) as { deviceId: string; token: string; rootPublicKey: string };
}

export async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}
