// Partitioned revocation sync (docs/sync.md "Partitioned sync"): the signed manifest, and each signed partition
// gzip-compressed. A partition answer carries its version and an ETag; the device checks it against the manifest.
import zlib from 'node:zlib';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { COSE_CONTENT_TYPE as COSE, DEVICE_HEADERS as H, DEVICE_PATHS as P } from '../../protocol/api/device.js';
import { HttpError } from './errors.js';
import type { AppEnv, Services } from './env.js';

/** True when If-None-Match names `etag`. */
function matches(c: Context, etag: string): boolean {
  const inm = c.req.header('if-none-match');
  return inm !== undefined && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** The manifest answer (also given by GET /revocations to a device that needs a whole, large list). */
export async function manifestAnswer(c: Context<AppEnv>, s: Services): Promise<Response> {
  const core = s.core;
  core.assertLive(core.now());
  const m = await core.revocations.partitions.currentManifest(() => core.now());
  c.header('Cache-Control', 'no-cache');
  c.header('ETag', m.etag);
  c.header(H.revocationSeq, String(m.seq));
  c.header(H.logId, m.logId);
  c.header(H.revocationKind, 'partitioned');
  if (matches(c, m.etag)) return c.body(null, 304);
  return c.body(m.bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': COSE });
}

/** True when a device asking with `partitions=1` for a whole list gets the manifest instead (a large list). */
export function wantsPartitions(s: Services): boolean {
  const above = s.core.config.revocations.partitionAbove;
  const held = s.core.db.prepare('SELECT COUNT(*) FROM (SELECT 1 FROM revoked LIMIT ?)').pluck().get(above) as number;
  return held >= above;
}

export function partitionRoutes(app: Hono<AppEnv>, s: Services, auth: MiddlewareHandler<AppEnv>): void {
  app.get(P.revocationManifest, auth, (c) => manifestAnswer(c, s));

  app.get(P.revocationPartition, auth, async (c) => {
    const core = s.core;
    core.assertLive(core.now());
    const text = c.req.param('index') ?? '';
    if (!/^\d{1,4}$/.test(text)) throw new HttpError('VALIDATION_FAILED');
    // The partition as the current manifest names it (the manifest is built first if none is yet).
    await core.revocations.partitions.currentManifest(() => core.now());
    const p = core.revocations.partitions.partition(Number(text));
    if (p === null) throw new HttpError('NOT_FOUND');
    const etag = `"p-${p.index}-${p.version}-${p.hash.slice(0, 16)}"`;
    c.header('Cache-Control', 'no-cache');
    c.header('ETag', etag);
    c.header(H.partitionVersion, String(p.version));
    if (matches(c, etag)) return c.body(null, 304);
    if (!/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      return c.body(new Uint8Array(zlib.gunzipSync(p.gzip)), 200, { 'Content-Type': COSE });
    }
    return c.body(p.gzip as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': COSE, 'Content-Encoding': 'gzip' });
  });
}
