// /api/device: enrol (no token), then bundle, revocations, freshness, events and heartbeat with the device token.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { HttpError } from '../errors.js';
import { deviceAuth } from './auth.js';
import { clientAddress, param, readJson, type AppEnv, type Services } from './env.js';
import { enrolSchema, eventsSchema, heartbeatSchema, idempotencyKeySchema, sinceQuery } from './schemas.js';

const COSE = 'application/cose';

/** True when If-None-Match names `etag` (or `*`). */
function notModified(c: Context, etag: string): boolean {
  const inm = c.req.header('if-none-match');
  if (!inm) return false;
  return inm.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === etag || v === '*';
  });
}

export function deviceRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/enrol', async (c) => {
    const wait = s.limits.enrolPerAddress.take(clientAddress(c, s.core.config.trustProxy));
    if (wait > 0) throw new HttpError('RATE_LIMITED', { retryAfter: wait });
    const body = await readJson(c, enrolSchema);
    return c.json(s.devices.enrol(body.code, body.name ?? null), 201);
  });

  const auth = deviceAuth(s);

  app.get('/bundle', auth, (c) => {
    const b = s.core.trust.current();
    c.header('ETag', b.etag);
    c.header('Cache-Control', 'no-cache');
    c.header('Gatecode-Bundle-Version', String(b.version));
    if (notModified(c, b.etag)) return c.body(null, 304);
    return c.body(b.bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': COSE });
  });

  // Sequence numbers mean something only within one history (`log`, the log id the device holds). Same history:
  // 304 when `since` is the current sequence or If-None-Match names this exact artefact; a delta since → current
  // when since ≥ the compaction floor; a snapshot below it. Another history, or none named: a snapshot. `since`
  // above the current sequence of this very history proves the history was rewound (lost steps): a new history
  // starts here and the device gets its snapshot.
  app.get('/revocations', auth, (c) => {
    const q = param(c.req.query(), sinceQuery);
    s.core.assertLive(s.core.now()); // after the sunset nothing more is signed
    let log = s.core.revocations.logId();
    if (q.log === log && q.since !== undefined && q.since > s.core.revocations.seq()) {
      s.core.restartHistory('gap');
      log = s.core.revocations.logId();
    }
    const seq = s.core.revocations.seq();
    const since = q.log === log ? q.since : undefined;
    c.header('Cache-Control', 'no-cache');
    c.header('Gatecode-Revocation-Seq', String(seq));
    c.header('Gatecode-Log-Id', log);
    if (since === seq) return c.body(null, 304);
    const art = s.core.revocations.artefact(since ?? null, s.core.now());
    const etag = `"${art.kind === 'snapshot' ? 's' : 'd'}-${art.logId.slice(0, 16)}-${art.fromSeq}-${art.toSeq}"`;
    c.header('ETag', etag);
    c.header('Gatecode-Revocation-Kind', art.kind);
    if (notModified(c, etag)) return c.body(null, 304);
    return c.body(art.bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': COSE });
  });

  // A signed statement that the current data is this bundle version and sequence, now. Never 304: the device's
  // data age counts only from signed statements, so every poll gets one (re-signed at most every 30 s).
  app.get('/freshness', auth, (c) => {
    s.core.assertLive(s.core.now());
    const f = s.core.freshness.current(s.core.now());
    c.header('Cache-Control', 'no-store');
    c.header('Gatecode-Bundle-Version', String(f.statement.bundleVersion));
    c.header('Gatecode-Revocation-Seq', String(f.statement.revocationSeq));
    c.header('Gatecode-Log-Id', f.statement.logId);
    return c.body(f.bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': COSE });
  });

  app.post('/events', auth, async (c) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined) throw new HttpError('IDEMPOTENCY_KEY_REQUIRED');
    param(key, idempotencyKeySchema);
    const body = await readJson(c, eventsSchema(s.core.config.events.maxBatch));
    const out = s.devices.events(c.get('deviceId'), key, body, c.get('rawBody'));
    return c.json(out, out.duplicate ? 200 : 201);
  });

  app.post('/heartbeat', auth, async (c) => {
    const body = await readJson(c, heartbeatSchema);
    const { serverTime } = s.devices.heartbeat(c.get('deviceId'), body);
    return c.json({
      serverTime,
      bundleVersion: s.core.trust.current().version,
      revocationSeq: s.core.revocations.seq(),
      logId: s.core.revocations.logId(),
    });
  });

  return app;
}
