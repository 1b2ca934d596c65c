import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePublicKey, verifyBundle, verifyRevocations, type RevocationDelta } from '../../protocol/index.js';
import type { PublishIndex } from '../../sync-server/publish.js';
import { cleanup, openTestServer, type TestServer } from '../support/server.js';

let s: TestServer;
afterEach(() => {
  s.close();
  cleanup(s.dir);
});

const read = (srv: TestServer, rel: string) => new Uint8Array(fs.readFileSync(path.join(srv.dir, 'publish', rel)));

async function revokeOne(srv: TestServer): Promise<string> {
  const res = await srv.admin('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 3600 });
  const { pass } = (await res.json()) as { pass: { passId: string; revocationId: string } };
  await srv.admin('POST', `/api/admin/passes/${pass.passId}/revoke`);
  return pass.revocationId;
}

describe('publish dir', () => {
  it('holds the current bundle, snapshot and a verifiable chain of step deltas after every change', async () => {
    s = openTestServer({ revocations: { keepSteps: 3 } });
    const root = decodePublicKey(fs.readFileSync(path.join(s.dir, 'keys', 'root.pub'), 'utf8'));
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await revokeOne(s));
    await s.admin('PUT', '/api/admin/policy', { maxOfflineAgeSeconds: 900 });

    const index = JSON.parse(fs.readFileSync(path.join(s.dir, 'publish', 'index.json'), 'utf8')) as PublishIndex;
    expect(index).toMatchObject({
      format: 1,
      bundleVersion: 2,
      revocationSeq: 6,
      floor: 3,
      bundle: 'bundle.cose',
      snapshot: 'revocations/snapshot.cose',
    });
    expect(index.deltas.map((d) => `${d.from}-${d.to}`)).toEqual(['3-4', '4-5', '5-6']);
    // Compacted steps are gone from the folder, and no temp file is left behind.
    expect(fs.readdirSync(path.join(s.dir, 'publish', 'revocations')).sort()).toEqual(
      ['delta-3-4.cose', 'delta-4-5.cose', 'delta-5-6.cose', 'snapshot.cose'].sort(),
    );
    expect(fs.readdirSync(path.join(s.dir, 'publish')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const bundle = verifyBundle(read(s, index.bundle), root);
    expect(bundle.version).toBe(2);
    expect(bundle.policy.maxOfflineAgeSeconds).toBe(900);
    const snap = verifyRevocations(read(s, index.snapshot as string), { rootPublicKey: root, bundle });
    expect(snap.toSeq).toBe(6);
    expect(snap.added.map((e) => e.revocationId).sort()).toEqual([...ids].sort());
    // A device at the floor walks the chain and ends with the same list.
    let seq = index.floor;
    const held = new Set(ids.slice(0, 2));
    for (const d of index.deltas) {
      const delta: RevocationDelta = verifyRevocations(read(s, d.file), {
        rootPublicKey: root,
        bundle,
        currentSeq: seq,
      });
      for (const e of delta.added) held.add(e.revocationId);
      seq = delta.toSeq;
    }
    expect(seq).toBe(6);
    expect([...held].sort()).toEqual([...ids].sort());
  });

  it('publishes a burst of changes once, after the publish delay, and on close', async () => {
    s = openTestServer({ publishDelayMs: 60_000 });
    const indexSeq = () =>
      (JSON.parse(fs.readFileSync(path.join(s.dir, 'publish', 'index.json'), 'utf8')) as PublishIndex).revocationSeq;
    expect(indexSeq()).toBe(1);
    await revokeOne(s);
    await revokeOne(s);
    expect(indexSeq()).toBe(1);
    s.services.core.flushPublish();
    expect(indexSeq()).toBe(3);
    await revokeOne(s);
    s.close();
    expect(indexSeq()).toBe(4);
  });

  it('keeps serving when the publish dir cannot be written, and publishes once it can', async () => {
    s = openTestServer();
    const dir = path.join(s.dir, 'publish');
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, 'in the way');
    await revokeOne(s);
    expect(s.services.core.revocations.seq()).toBe(2);
    fs.rmSync(dir);
    s.services.core.flushPublish(); // the pending retry, now
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as PublishIndex;
    expect(index.revocationSeq).toBe(2);
  });

  it('rewrites the files a previous run left, rather than trusting them', async () => {
    s = openTestServer();
    const file = path.join(s.dir, 'publish', 'revocations', 'delta-0-1.cose');
    const good = fs.readFileSync(file);
    s.close();
    fs.writeFileSync(file, 'tampered');
    s = openTestServer({}, undefined, s.dir);
    expect(fs.readFileSync(file).length).toBe(good.length);
  });
});
