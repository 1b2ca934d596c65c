// A real sync server on 127.0.0.1 (the server engineer's startServer, in process) with a tiny admin client, and
// a real device store enrolled against it. Used by the end-to-end sync tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../sync-server/config.js';
import type { ServerConfigInput } from '../../sync-server/config.js';
import { startServer } from '../../sync-server/server.js';
import type { RunningServer } from '../../sync-server/server.js';
import { evaluatePass } from '../../protocol/index.js';
import type { DeviceStore } from '../../device/store/index.js';

export interface Admin {
  call<T = Record<string, unknown>>(method: string, p: string, body?: object): Promise<{ status: number; body: T }>;
  issue(colour?: 'green' | 'yellow' | 'red'): Promise<{ passId: string; text: string }>;
  revoke(passId: string): Promise<void>;
  enrolmentUri(): Promise<string>;
}

export async function startRealServer(overrides: Omit<ServerConfigInput, 'dataDir' | 'port' | 'host'> = {}): Promise<{
  server: RunningServer;
  admin: Admin;
  dir: string;
  stop(): Promise<void>;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-e2e-sync-'));
  const config = parseConfig({
    dataDir: path.join(dir, 'server'),
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    // Tests poll fast from one address: keep the limits out of the way (they are tested by the server's suite).
    rateLimit: { perAddress: { ratePerSecond: 1000, burst: 10_000 }, perToken: { ratePerSecond: 1000, burst: 10_000 } },
    ...overrides,
  });
  const server = await startServer(config);
  const token = fs.readFileSync(server.tokenFile, 'utf8').trim();
  const call: Admin['call'] = async (method, p, body) => {
    const res = await fetch(server.url + p, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as never };
  };
  const admin: Admin = {
    call,
    async issue(colour = 'green') {
      const r = await call<{ pass: { passId: string }; text: string }>('POST', '/api/admin/passes', {
        colour,
        validForSeconds: 3600,
        scope: 'all',
      });
      if (r.status !== 201) throw new Error(`issue: ${r.status} ${JSON.stringify(r.body)}`);
      return { passId: r.body.pass.passId, text: r.body.text };
    },
    async revoke(passId) {
      const r = await call('POST', `/api/admin/passes/${passId}/revoke`);
      if (r.status !== 200) throw new Error(`revoke: ${r.status}`);
    },
    async enrolmentUri() {
      const r = await call<{ enrolmentUri: string }>('POST', '/api/admin/enrolments', { ttlSeconds: 600 });
      if (r.status !== 201) throw new Error(`enrolment: ${r.status}`);
      return r.body.enrolmentUri;
    },
  };
  return {
    server,
    admin,
    dir,
    async stop() {
      await server.close(100);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The device's verdict for a pass text from what its store holds right now: `colour/REASON`. */
export function deviceVerdict(store: DeviceStore, text: string, trustDataAt: number | null): string {
  const held = store.getBundle();
  if (!held) return 'none/NO_BUNDLE';
  const v = evaluatePass(text, {
    bundle: held.bundle,
    now: Math.floor(Date.now() / 1000),
    isRevoked: (id) => store.isRevoked(id),
    ...(trustDataAt !== null ? { trustDataAt } : {}),
  });
  return `${v.colour}/${v.reason}`;
}
