// End to end on loopback: a device holding a list follows a change larger than one page (the server's pageEntries
// lowered to 2,000) by delta pages from a real server over real HTTP: page 0 as the answer, the other pages fetched,
// verified and staged, the change published at once. A page whose fetch fails leaves the list as it was and the next
// cycle applies the set; a tampered page is refused (BAD_SIGNATURE, counted) and the list stays as it was.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../device/store/index.js';
import type { DeviceStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { enrol } from '../../device/sync/enrolment.js';
import { startRealServer } from '../support/real-server.js';

let env: Awaited<ReturnType<typeof startRealServer>>;
let store: DeviceStore;
let client: SyncClient;
const urls: string[] = [];
/** What the device's network does to a page answer (the real server's bytes otherwise). */
let fault: ((page: number, res: Response) => Promise<Response>) | null = null;

beforeAll(async () => {
  env = await startRealServer({ revocations: { pageEntries: 2_000 } });
  store = openStore(path.join(env.dir, 'device', 'device.db'));
  await enrol({ store, uri: await env.admin.enrolmentUri(), name: 'pages gate' });
  const fetchSeen: typeof globalThis.fetch = async (url, init) => {
    urls.push(String(url));
    const res = await globalThis.fetch(url, init);
    const page = /\/revocations\/pages\/(\d+)/.exec(String(url));
    return page && fault ? fault(Number(page[1]), res) : res;
  };
  client = new SyncClient({ store, fetch: fetchSeen }, { pollIntervalSeconds: 1 });
});

afterAll(async () => {
  await client?.stop();
  store?.close();
  await env?.stop();
});

function revoke(ids: string[]): number {
  const core = env.server.services.core;
  return core.change({ revocations: true }, (now) =>
    core.revocations.addStep(
      ids.map((revocationId) => ({ revocationId, expiresAt: now + 86400 })),
      now,
    ),
  );
}
const newIds = (n: number) => Array.from({ length: n }, () => randomBytes(16).toString('hex'));
const pageUrls = () => urls.filter((u) => u.includes('/revocations/pages/'));

describe('delta pages over HTTP', () => {
  it('follows changes larger than one page, all or nothing', async () => {
    const base = newIds(1_000);
    revoke(base);
    expect((await client.syncNow()).revocations).toEqual([expect.objectContaining({ kind: 'applied' })]);

    // A change of 9,000 ids: 5 pages. Page 3's fetch fails: nothing of the change is applied.
    const change = newIds(9_000);
    const seq = revoke(change);
    urls.length = 0;
    fault = (page, res) => {
      if (page !== 3) return Promise.resolve(res);
      return Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    };
    const missed = await client.syncNow();
    expect(missed.error?.code).toBe('NETWORK');
    expect(urls.find((u) => u.includes('/api/device/revocations?'))).toMatch(/partitions=1&pages=1/);
    expect(pageUrls().length).toBeGreaterThan(0);
    expect(store.revocationInfo()).toMatchObject({ seq: seq - 1, count: 1_000 });
    expect(change.some((id) => store.isRevoked(id))).toBe(false);

    // A tampered page: refused with its reason, counted, the list as it was.
    fault = async (page, res) => {
      if (page !== 2) return res;
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
      return new Response(bytes, { status: res.status, headers: res.headers });
    };
    const tampered = await client.syncNow();
    expect(tampered.revocations).toEqual([expect.objectContaining({ kind: 'rejected', reason: 'BAD_SIGNATURE' })]);
    expect(store.counters()['sync_reject:BAD_SIGNATURE']).toBe(1);
    expect(store.revocationInfo()).toMatchObject({ seq: seq - 1, count: 1_000 });

    // The next cycle, served as the server sends it: the whole change at once, page 0 plus the 4 others.
    fault = null;
    urls.length = 0;
    const applied = await client.syncNow();
    expect(applied.error).toBeNull();
    expect(applied.revocations).toEqual([expect.objectContaining({ kind: 'applied', version: seq })]);
    expect(new Set(pageUrls().map((u) => new URL(u).pathname))).toEqual(
      new Set([1, 2, 3, 4].map((p) => `/api/device/revocations/pages/${p}`)),
    );
    expect(store.revocationInfo()).toMatchObject({ seq, count: 10_000 });
    expect([...base, ...change].every((id) => store.isRevoked(id))).toBe(true);
  }, 120_000);
});
