// Delta pages on the wire (docs/sync.md "Delta pages"): page 0 as the answer of GET /revocations to a device that
// takes pages and whose change holds more than one page, the other pages at GET /revocations/pages/:page. Each page
// is byte-identical for the same (history, since, to, page) while the server can make the set; when it cannot
// (compacted past `since`, another history) the answer is 410 REVOCATION_PAGES_GONE and the device starts again.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import {
  COSE_CONTENT_TYPE as COSE,
  DEVICE_HEADERS as H,
  DEVICE_PATHS as P,
  revocationPageQuerySchema,
} from '../../protocol/api/device.js';
import type { PageSet } from '../revocation-pages.js';
import { HttpError } from './errors.js';
import { param, type AppEnv, type Services } from './env.js';

function matches(c: Context, etag: string): boolean {
  const inm = c.req.header('if-none-match');
  return inm !== undefined && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function pageAnswer(c: Context<AppEnv>, set: PageSet, index: number): Response {
  const etag = set.etags[index] as string;
  c.header('Cache-Control', 'no-cache');
  c.header('ETag', etag);
  c.header(H.revocationKind, 'delta-page');
  c.header(H.revocationPages, String(set.pages.length));
  c.header(H.revocationSeq, String(set.toSeq));
  c.header(H.logId, set.logId);
  if (matches(c, etag)) return c.body(null, 304);
  return c.body(set.pages[index] as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': COSE });
}

/** Page 0 of the set since → current (the caller has checked that the change holds more than one page). */
export async function pagedAnswer(c: Context<AppEnv>, s: Services, since: number): Promise<Response> {
  const log = s.core.revocations;
  const set = await log.pages.set(log.logId(), since, log.seq());
  // Made unavailable while it was built (a compaction past `since`, a new history): the device asks again.
  if (set === null) throw new HttpError('REVOCATION_PAGES_GONE');
  return pageAnswer(c, set, 0);
}

export function pageRoutes(app: Hono<AppEnv>, s: Services, auth: MiddlewareHandler<AppEnv>): void {
  app.get(P.revocationPage, auth, async (c) => {
    const core = s.core;
    core.assertLive(core.now());
    const text = c.req.param('page') ?? '';
    if (!/^\d{1,4}$/.test(text)) throw new HttpError('VALIDATION_FAILED', { detail: 'page' });
    const q = param(c.req.query(), revocationPageQuerySchema);
    const set = await core.revocations.pages.set(q.log, q.since, q.to);
    if (set === null) throw new HttpError('REVOCATION_PAGES_GONE');
    const index = Number(text);
    if (index >= set.pages.length) throw new HttpError('NOT_FOUND', { detail: 'page' });
    return pageAnswer(c, set, index);
  });
}
