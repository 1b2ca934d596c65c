// The server's partition build at scale (sync-server/revocation-partitions.ts): asynchronous, one partition per turn
// of the event loop, so other routes answer during it; shared by concurrent requests; a step committed during it
// is in the manifest it gives. And a change too large for one delta document reaches a device by partitions.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePublicKey, verifyBundle, verifyManifest } from '../../protocol/index.js';
import { MAX_REVOCATION_ENTRIES } from '../../protocol/revocations.js';
import { bytesOf, cleanup, enrolDevice, openTestServer, type TestServer } from '../support/server.js';

let s: TestServer | null = null;
afterEach(() => {
  s?.close();
  if (s) cleanup(s.dir);
  s = null;
});

const ids = (n: number) => Array.from({ length: n }, () => randomBytes(16).toString('hex'));

function revoke(server: TestServer, revocationIds: string[]): number {
  const core = server.services.core;
  return core.change({ revocations: true }, (now) =>
    core.revocations.addStep(
      revocationIds.map((revocationId) => ({ revocationId, expiresAt: now + 86400 })),
      now,
    ),
  );
}

async function verified(server: TestServer, token: string, res: Response) {
  const root = decodePublicKey((await enrolDevice(server, 'reader')).rootPublicKey);
  const bundle = verifyBundle(await bytesOf(await server.device(token, 'GET', '/api/device/bundle')), root);
  return verifyManifest(await bytesOf(res), { rootPublicKey: root, bundle, currentSeq: 0, logId: null });
}

describe('partition build', () => {
  it('yields between partitions: /healthz answers during a build, requests share it, a step made meanwhile is in it', async () => {
    s = openTestServer({ revocations: { partitionAbove: 100 } });
    const server = s;
    const dev = await enrolDevice(server);
    revoke(server, ids(2000));
    const order: string[] = [];
    const first = server
      .device(dev.token, 'GET', '/api/device/revocations/manifest')
      .then((r) => (order.push('manifest'), r));
    const second = server
      .device(dev.token, 'GET', '/api/device/revocations/manifest')
      .then((r) => (order.push('manifest'), r));
    // The build has started (the first partitions are signed) but not finished: the event loop is free.
    await new Promise((resolve) => setImmediate(resolve));
    const health = await server.app.request('/healthz');
    order.push('healthz');
    expect(health.status).toBe(200);
    // A step committed while the build runs: the manifest given names it (not a mix of before and after).
    const late = ids(1)[0] as string;
    const lateSeq = revoke(server, [late]);
    const [a, b] = await Promise.all([first, second]);
    expect(order[0]).toBe('healthz');
    const m = await verified(server, dev.token, a);
    expect(m.seq).toBe(lateSeq);
    expect(m.partitions[parseInt(late.slice(0, 2), 16)]?.version).toBe(lateSeq);
    expect(m.partitions.reduce((n, p) => n + p.count, 0)).toBe(2001);
    // The concurrent request got the same signed manifest (one build).
    expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
  });

  it('keeps the signed partitions in files, and rebuilds one whose file is gone byte for byte', async () => {
    s = openTestServer({ revocations: { partitionAbove: 100 } });
    const server = s;
    const dev = await enrolDevice(server);
    revoke(server, ids(600));
    const dir = path.join(server.dir, 'partitions');
    const get = async (i: number) =>
      bytesOf(
        await server.device(dev.token, 'GET', `/api/device/revocations/partitions/${i}`, undefined, {
          'Accept-Encoding': 'gzip',
        }),
      );
    expect((await server.device(dev.token, 'GET', '/api/device/revocations/manifest')).status).toBe(200);
    expect(fs.readdirSync(dir)).toHaveLength(256);
    const before = await get(5);
    fs.rmSync(path.join(dir, '5.gz'));
    const again = await get(5);
    expect(Buffer.from(again).equals(Buffer.from(before))).toBe(true);
    expect(fs.existsSync(path.join(dir, '5.gz'))).toBe(true);
    // A file that holds another document (an older version, say) is not served: the partition is rebuilt.
    const seven = await get(7);
    fs.writeFileSync(path.join(dir, '7.gz'), Buffer.concat([Buffer.from('7:1:00\n'), Buffer.from(before)]));
    expect(Buffer.from(await get(7)).equals(Buffer.from(seven))).toBe(true);
  });

  it('gives a device within the retained steps the manifest when its delta is above one document', async () => {
    s = openTestServer({ revocations: { partitionAbove: 100 } });
    const server = s;
    const dev = await enrolDevice(server);
    const held = revoke(server, ids(200));
    // One step just above the limit of a delta document, written as addStep writes it (log, list, step).
    const core = server.services.core;
    const big = ids(MAX_REVOCATION_ENTRIES + 1).sort();
    const bigSeq = core.change({ revocations: true }, (now) => {
      const seq = core.revocations.seq() + 1;
      const log = core.db.prepare('INSERT INTO revocation_log (seq, revocation_id, expires_at) VALUES (?, ?, ?)');
      const cur = core.db.prepare('INSERT INTO revoked (revocation_id, expires_at, seq) VALUES (?, ?, ?)');
      for (const id of big) {
        log.run(seq, id, now + 86400);
        cur.run(id, now + 86400, seq);
      }
      core.db.prepare('INSERT INTO revocation_steps (seq, at, count) VALUES (?, ?, ?)').run(seq, now, big.length);
      core.db.prepare("UPDATE meta SET value = ? WHERE key = 'revocation_seq'").run(String(seq));
      core.revocations.invalidate();
      return seq;
    });
    expect(core.revocations.floor()).toBeLessThan(held);
    const logId = core.revocations.logId();
    const res = await server.device(
      dev.token,
      'GET',
      `/api/device/revocations?since=${held}&log=${logId}&partitions=1`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('gatecode-revocation-kind')).toBe('partitioned');
    const m = await verified(server, dev.token, res);
    expect(m.seq).toBe(bigSeq);
    expect(m.partitions.reduce((n, p) => n + p.count, 0)).toBe(big.length + 200);
    // A small delta still goes as a delta.
    const small = revoke(server, ids(5));
    const next = await server.device(
      dev.token,
      'GET',
      `/api/device/revocations?since=${bigSeq}&log=${logId}&partitions=1`,
    );
    expect(next.headers.get('gatecode-revocation-kind')).toBe('delta');
    expect(next.headers.get('gatecode-revocation-seq')).toBe(String(small));
  }, 60_000);
});
