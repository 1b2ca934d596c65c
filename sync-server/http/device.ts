// /api/device: enrol (no token), then bundle, revocations, freshness, events and heartbeat with the device token.
// Request and answer shapes are the contract in protocol/api/device.ts; the answers are typed with it, so a change
// of field here that the contract does not name fails to compile.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { HttpError } from './errors.js';
import {
  COSE_CONTENT_TYPE as COSE,
  DEVICE_HEADERS as H,
  DEVICE_PATHS as P,
  alarmBatchSchema,
  enrolRequestSchema,
  eventBatchSchema,
  heartbeatRequestSchema,
  idempotencyKeySchema,
  pushAckSchema,
  pushQuerySchema,
  revocationsQuerySchema,
  type AlarmBatchAnswer,
  type EnrolAnswer,
  type RootAnswer,
  type EventBatchAnswer,
  type HeartbeatAnswer,
  type TokenAnswer,
} from '../../protocol/api/device.js';
import { encodePublicKey, rootFingerprint } from '../../protocol/index.js';
import { deviceAuth } from './auth.js';
import { MAX_REVOCATION_ENTRIES } from '../../protocol/revocations.js';
import { pageRoutes, pagedAnswer } from './device-pages.js';
import { manifestAnswer, partitionRoutes, wantsPartitions } from './device-partitions.js';
import { clientAddress, param, readJson, type AppEnv, type Services } from './env.js';
import { bodylessAnswer, memoQuery, preparedHeaders } from './prepared.js';
import type { SignedBundle } from '../trust.js';

/** True when If-None-Match names `etag` (or `*`). */
function notModified(c: Context, etag: string): boolean {
  const inm = c.req.header('if-none-match');
  if (!inm) return false;
  if (inm === etag) return true; // what a gate sends: its one ETag
  return inm.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === etag || v === '*';
  });
}

export function deviceRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get(P.root, (c) => {
    const root = s.core.keys.root();
    const answer: RootAnswer = {
      rootPublicKey: encodePublicKey(root.publicKey),
      rootFingerprint: rootFingerprint(root.publicKey),
    };
    return c.json(answer);
  });

  app.post(P.enrol, async (c) => {
    const wait = s.limits.enrolPerAddress.take(clientAddress(c, s.core.config.trustProxy));
    if (wait > 0) throw new HttpError('RATE_LIMITED', { retryAfter: wait });
    const body = await readJson(c, enrolRequestSchema);
    // A gate re-enrolling sends its current token: that device record is replaced, not left active beside the new.
    const bearer = /^Bearer (\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    let replaces: string | null = null;
    if (bearer !== undefined) {
      try {
        replaces = s.devices.authenticate(bearer);
      } catch {
        replaces = null; // a rolled or revoked token: nothing to replace
      }
    }
    const answer: EnrolAnswer = s.devices.enrol(body.code, body.name ?? null, replaces);
    s.webhooks.emit('device.enrolled', { deviceId: answer.deviceId, name: body.name ?? null, replaces });
    return c.json(answer, 201);
  });

  const auth = deviceAuth(s);

  const bundleHeaders = preparedHeaders((b: SignedBundle) => ({
    ETag: b.etag,
    'Cache-Control': 'no-cache',
    [H.bundleVersion]: String(b.version),
  }));
  app.get(P.bundle, auth, (c) => {
    const b = s.core.trust.current();
    const headers = bundleHeaders(b);
    if (notModified(c, b.etag)) return bodylessAnswer(c, 304, headers);
    return c.body(b.bytes as Uint8Array<ArrayBuffer>, 200, { ...headers, 'Content-Type': COSE });
  });

  const revocationHeaders = preparedHeaders((seqLog: string) => {
    const [seq, log] = seqLog.split(' ') as [string, string];
    return { 'Cache-Control': 'no-cache', [H.revocationSeq]: seq, [H.logId]: log };
  });
  const revocationsQuery = memoQuery(revocationsQuerySchema);
  // Sequence numbers mean something only within one history (`log`, the log id the device holds). Same history:
  // 304 when `since` is the current sequence or If-None-Match names this exact artefact; a delta since → current
  // when since ≥ the compaction floor; a snapshot below it. Another history, or none named: a snapshot. `since`
  // above the current sequence of this very history proves the history was rewound (lost steps): a new history
  // starts here and the device gets its snapshot.
  app.get(P.revocations, auth, (c) => {
    const q = revocationsQuery(c);
    s.core.assertLive(s.core.now()); // after the sunset nothing more is signed
    let log = s.core.revocations.logId();
    if (q.log === log && q.since !== undefined && q.since > s.core.revocations.seq()) {
      s.core.restartHistory('gap');
      log = s.core.revocations.logId();
    }
    const seq = s.core.revocations.seq();
    // A client from before log ids (0.1.0) names no history: its `since` at the current sequence still gets the
    // 304 it knows. (It cannot read today's lists, which carry a log id; it goes stale until upgraded.) A current
    // device names its history whenever it holds a list, so this never answers one of them.
    if (q.log === undefined && q.since === seq) return c.body(null, 304);
    const since = q.log === log ? q.since : undefined;
    if (since === seq) return bodylessAnswer(c, 304, revocationHeaders(`${seq} ${log}`));
    c.header('Cache-Control', 'no-cache');
    c.header(H.revocationSeq, String(seq));
    c.header(H.logId, log);
    // A whole list is needed: a device that takes partitions gets the manifest when the list is large. A change
    // of more than one delta page goes to a device that takes pages as a page set (device-pages.ts); to one that
    // does not, as one delta while it fits one document (650,000 ids), else as the manifest (it then fetches only
    // the partitions changed since the sequence it holds). A device that takes neither cannot follow a list or a
    // change that large: 409 DEVICE_UPGRADE_REQUIRED (the gate's software must be upgraded).
    const whole = since === undefined || since < s.core.revocations.floor();
    if (whole) {
      if (q.partitions === '1' && wantsPartitions(s)) return manifestAnswer(c, s);
      if (q.partitions !== '1' && !s.core.revocations.snapshotFits())
        throw new HttpError('DEVICE_UPGRADE_REQUIRED', { detail: 'partitions' });
    } else {
      const count = s.core.revocations.deltaCount(since);
      if (q.pages === '1' && count > s.core.revocations.pages.perPage) return pagedAnswer(c, s, since);
      if (count > MAX_REVOCATION_ENTRIES) {
        if (q.partitions === '1') return manifestAnswer(c, s);
        throw new HttpError('DEVICE_UPGRADE_REQUIRED', { detail: 'pages' });
      }
    }
    const art = s.core.revocations.artefact(since ?? null, s.core.now());
    const etag = `"${art.kind === 'snapshot' ? 's' : 'd'}-${art.logId.slice(0, 16)}-${art.fromSeq}-${art.toSeq}"`;
    c.header('ETag', etag);
    c.header(H.revocationKind, art.kind);
    if (notModified(c, etag)) return c.body(null, 304);
    return c.body(art.bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': COSE });
  });

  partitionRoutes(app, s, auth);
  pageRoutes(app, s, auth);

  // A signed statement that the current data is this bundle version and sequence, now. Never 304: the device's
  // data age counts only from signed statements, so every poll gets one (re-signed at most every 30 s).
  app.get(P.freshness, auth, (c) => {
    s.core.assertLive(s.core.now());
    const f = s.core.freshness.current(s.core.now());
    c.header('Cache-Control', 'no-store');
    c.header(H.bundleVersion, String(f.statement.bundleVersion));
    c.header(H.revocationSeq, String(f.statement.revocationSeq));
    c.header(H.logId, f.statement.logId);
    return c.body(f.bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': COSE });
  });

  app.post(P.events, auth, async (c) => {
    const key = c.req.header(H.idempotencyKey);
    if (key === undefined) throw new HttpError('IDEMPOTENCY_KEY_REQUIRED');
    param(key, idempotencyKeySchema);
    const body = await readJson(c, eventBatchSchema(s.core.config.events.maxBatch));
    const out: EventBatchAnswer = s.devices.events(c.get('deviceId'), key, body, c.get('rawBody'));
    return c.json(out, out.duplicate ? 200 : 201);
  });

  // Alarm transitions, sent by the device as they happen (device/alarms/forwarder.ts); idempotent by event id.
  app.post(P.alarms, auth, async (c) => {
    const body = await readJson(c, alarmBatchSchema);
    const out: AlarmBatchAnswer = s.alarms.receive(c.get('deviceId'), body);
    return c.json(out, out.accepted > 0 ? 201 : 200);
  });

  app.post(P.heartbeat, auth, async (c) => {
    const body = await readJson(c, heartbeatRequestSchema);
    const { serverTime } = s.devices.heartbeat(c.get('deviceId'), body);
    const answer: HeartbeatAnswer = {
      serverTime,
      bundleVersion: s.core.trust.current().version,
      revocationSeq: s.core.revocations.seq(),
      logId: s.core.revocations.logId(),
    };
    return c.json(answer);
  });

  // The push stream (sync-server/push.ts): held open while the device is online; commands for its gate go down
  // it. The device names its gate; each command is signed for one site and gate, so a wrong name opens nothing.
  app.get(P.push, auth, (c) => {
    const q = param(c.req.query(), pushQuerySchema);
    const lockdown = q.lockdown === undefined ? null : q.lockdown === '1';
    const stream = s.push.open(c.get('deviceId'), { site: q.site, gate: q.gate }, lockdown);
    s.core.log.info({ deviceId: c.get('deviceId'), site: q.site, gate: q.gate }, 'push stream opened');
    return c.body(stream, 200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      // A reverse proxy (nginx) must pass events at once rather than buffer them.
      'X-Accel-Buffering': 'no',
    });
  });

  app.post(P.pushAck, auth, async (c) => {
    const body = await readJson(c, pushAckSchema);
    const matched = s.push.answer(c.get('deviceId'), body);
    return c.json({ matched });
  });

  // A token roll the gate completes itself (sync-server/device-tokens.ts): the old token gets the new one; the new
  // token's first use (this call with it included) retires the old one.
  app.post(P.token, auth, (c) => {
    const answer: TokenAnswer = s.devices.tokens.exchange({
      deviceId: c.get('deviceId'),
      rollPending: c.get('tokenRollPending'),
    });
    c.header('Cache-Control', 'no-store');
    return c.json(answer);
  });

  return app;
}
