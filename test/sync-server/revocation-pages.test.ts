// Delta pages from a real server on loopback (sync-server/revocation-pages.ts, http/device-pages.ts): a change of
// more than one page reaches a device that takes pages as page 0 plus the other pages, each byte-stable, verifying
// and tiling; a set that can no longer be made is 410; a small delta is unchanged; a device that takes neither
// pages nor partitions gets a typed 409 instead of a 500; a build yields to other requests and is shared.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkPageSet,
  decodePublicKey,
  verifyBundle,
  verifyRevocationPage,
  type RevocationPage,
  type TrustBundle,
} from '../../protocol/index.js';
import { MAX_REVOCATION_ENTRIES } from '../../protocol/revocations.js';
import type { ServerCore } from '../../sync-server/core.js';
import { RevocationPageSets } from '../../sync-server/revocation-pages.js';
import { startRealServer } from '../support/real-server.js';

type Real = Awaited<ReturnType<typeof startRealServer>>;
let real: Real | null = null;
afterEach(async () => {
  await real?.stop();
  real = null;
});

const ids = (n: number) => Array.from({ length: n }, () => randomBytes(16).toString('hex'));

function revoke(core: ServerCore, revocationIds: string[]): number {
  return core.change({ revocations: true }, (now) =>
    core.revocations.addStep(
      revocationIds.map((revocationId) => ({ revocationId, expiresAt: now + 86400 })),
      now,
    ),
  );
}

interface Gate {
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  root: Uint8Array;
  bundle: TrustBundle;
}

async function gate(r: Real): Promise<Gate> {
  const { body } = await r.admin.call<{ code: string }>('POST', '/api/admin/enrolments', {});
  const res = await fetch(`${r.server.url}/api/device/enrol`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: body.code, name: 'gate-1' }),
  });
  const { token, rootPublicKey } = (await res.json()) as { token: string; rootPublicKey: string };
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${r.server.url}/api/device${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const root = decodePublicKey(rootPublicKey);
  const bundle = verifyBundle(new Uint8Array(await (await get('/bundle')).arrayBuffer()), root);
  return { get, root, bundle };
}

const bytes = async (res: Response) => new Uint8Array(await res.arrayBuffer());

describe('delta pages (server)', () => {
  it('gives a large change as page 0 and serves every page, byte-stable, verifying and tiling; small deltas unchanged', async () => {
    real = await startRealServer({ revocations: { pageEntries: 50 } });
    const core = real.server.services.core;
    const g = await gate(real);
    const held = revoke(core, ids(10));
    const change = [...ids(120), ...ids(110)];
    revoke(core, change.slice(0, 120));
    const to = revoke(core, change.slice(120));
    const log = core.revocations.logId();

    const res = await g.get(`/revocations?since=${held}&log=${log}&partitions=1&pages=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('gatecode-revocation-kind')).toBe('delta-page');
    expect(res.headers.get('gatecode-revocation-pages')).toBe('5');
    expect(res.headers.get('gatecode-revocation-seq')).toBe(String(to));
    expect(res.headers.get('gatecode-log-id')).toBe(log);
    const opts = { rootPublicKey: g.root, bundle: g.bundle, logId: log, currentSeq: held };
    const page0 = await bytes(res);
    const pages: RevocationPage[] = [verifyRevocationPage(page0, opts)];
    const served: Uint8Array[] = [page0];
    const query = `log=${log}&since=${held}&to=${to}`;
    for (let i = 1; i < 5; i++) {
      const a = await g.get(`/revocations/pages/${i}?${query}`);
      const b = await g.get(`/revocations/pages/${i}?${query}`);
      expect(a.status).toBe(200);
      expect(a.headers.get('gatecode-revocation-kind')).toBe('delta-page');
      expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
      const [ab, bb] = [await bytes(a), await bytes(b)];
      expect(Buffer.from(ab).equals(Buffer.from(bb))).toBe(true);
      const p = verifyRevocationPage(ab, opts);
      checkPageSet(pages[0]!, p, pages[i - 1]);
      pages.push(p);
      served.push(ab);
      const again = await g.get(`/revocations/pages/${i}?${query}`, { 'if-none-match': a.headers.get('etag')! });
      expect(again.status).toBe(304);
    }
    expect(pages[4]!.hi).toBeNull();
    // Together the pages are exactly the change, in id order.
    expect(pages.flatMap((p) => p.added.map((a) => a.revocationId))).toEqual([...change].sort());
    expect((await g.get(`/revocations/pages/5?${query}`)).status).toBe(404);
    // Page 0 again, from the kept set; and the set made again from scratch is the same bytes (a restart, an eviction).
    const again0 = await bytes(await g.get(`/revocations?since=${held}&log=${log}&partitions=1&pages=1`));
    expect(Buffer.from(again0).equals(Buffer.from(page0))).toBe(true);
    const remade = await new RevocationPageSets(core.db, core.keys, core.revocations, 50).set(log, held, to);
    expect(remade?.pages.map((p) => Buffer.from(p).toString('hex'))).toEqual(
      served.map((p) => Buffer.from(p).toString('hex')),
    );

    // A device that does not take pages gets today's one delta; a change within one page is one delta.
    const plain = await g.get(`/revocations?since=${held}&log=${log}&partitions=1`);
    expect(plain.headers.get('gatecode-revocation-kind')).toBe('delta');
    const small = revoke(core, ids(50));
    const next = await g.get(`/revocations?since=${to}&log=${log}&partitions=1&pages=1`);
    expect(next.headers.get('gatecode-revocation-kind')).toBe('delta');
    expect(next.headers.get('gatecode-revocation-seq')).toBe(String(small));
  });

  it('answers 410 REVOCATION_PAGES_GONE for a set that can no longer be made', async () => {
    real = await startRealServer({ revocations: { pageEntries: 50 } });
    const core = real.server.services.core;
    const g = await gate(real);
    const held = revoke(core, ids(3));
    const to = revoke(core, ids(120));
    const log = core.revocations.logId();
    const q = (l: string, since: number, t: number) => `/revocations/pages/1?log=${l}&since=${since}&to=${t}`;
    expect((await g.get(q(log, held, to))).status).toBe(200);
    const gone = async (path: string) => {
      const res = await g.get(path);
      return [res.status, ((await res.json()) as { error: string }).error];
    };
    expect(await gone(q('ab'.repeat(16), held, to))).toEqual([410, 'REVOCATION_PAGES_GONE']); // another history
    expect(await gone(q(log, held, to + 1))).toEqual([410, 'REVOCATION_PAGES_GONE']); // a sequence not yet made
    expect(await gone(q(log, held - 1, held))).toEqual([410, 'REVOCATION_PAGES_GONE']); // fits one delta
    expect(await gone(q(log, to, to))).toEqual([410, 'REVOCATION_PAGES_GONE']);
    expect((await g.get(`/revocations/pages/x1?log=${log}&since=${held}&to=${to}`)).status).toBe(400);
    expect((await g.get(`/revocations/pages/1?log=${log}&since=${held}`)).status).toBe(400);
    // Compacted past `since` (the set was made and kept before): gone all the same.
    revoke(core, ids(1));
    core.change({ revocations: true }, (now) => core.revocations.compact(now, { keepSteps: 1, keepSeconds: 86400 }));
    expect(core.revocations.floor()).toBeGreaterThan(held);
    expect(await gone(q(log, held, to))).toEqual([410, 'REVOCATION_PAGES_GONE']);
  });

  it('builds a set while other requests are answered, once for concurrent requests', async () => {
    real = await startRealServer({ revocations: { pageEntries: 50 } });
    const core = real.server.services.core;
    const held = revoke(core, ids(1));
    const to = revoke(core, ids(20_000));
    const log = core.revocations.logId();
    let done = false;
    const first = core.revocations.pages.set(log, held, to).then((set) => ((done = true), set));
    const second = core.revocations.pages.set(log, held, to);
    const health = await fetch(`${real.server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(done).toBe(false); // the build of 400 pages was still going
    const [a, b] = await Promise.all([first, second]);
    expect(a).not.toBeNull();
    expect(a).toBe(b);
    expect(a?.pages).toHaveLength(400);
  });

  it('refuses a device that takes neither pages nor partitions with 409 DEVICE_UPGRADE_REQUIRED, not a 500', async () => {
    real = await startRealServer();
    const core = real.server.services.core;
    const held = revoke(core, ids(1));
    // One step just above one delta document, written as addStep writes it (log, list, step), by SQLite itself
    // (random ids, in id order) rather than a statement per id.
    const n = MAX_REVOCATION_ENTRIES + 1;
    core.change({ revocations: true }, (now) => {
      const seq = core.revocations.seq() + 1;
      core.db
        .prepare(
          `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
           INSERT INTO revoked (revocation_id, expires_at, seq)
           SELECT id, ?, ? FROM (SELECT lower(hex(randomblob(16))) AS id FROM k) ORDER BY id`,
        )
        .run(n, now + 86400, seq);
      core.db
        .prepare(
          'INSERT INTO revocation_log (seq, revocation_id, expires_at) SELECT seq, revocation_id, expires_at FROM revoked WHERE seq = ?',
        )
        .run(seq);
      core.db.prepare('INSERT INTO revocation_steps (seq, at, count) VALUES (?, ?, ?)').run(seq, now, n);
      core.db.prepare("UPDATE meta SET value = ? WHERE key = 'revocation_seq'").run(String(seq));
      core.revocations.invalidate();
      return seq;
    });
    const log = core.revocations.logId();
    const g = await gate(real); // after the long write: an idle kept-alive connection would have been closed
    const refused = async (path: string) => {
      const res = await g.get(path);
      return [res.status, await res.json()];
    };
    expect(await refused(`/revocations?since=${held}&log=${log}`)).toEqual([
      409,
      { error: 'DEVICE_UPGRADE_REQUIRED', detail: 'pages' },
    ]);
    expect(await refused('/revocations')).toEqual([409, { error: 'DEVICE_UPGRADE_REQUIRED', detail: 'partitions' }]);
  }, 120_000);
});
