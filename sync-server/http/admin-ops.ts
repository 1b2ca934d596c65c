// /api/admin/{keys,policy,enrolments,devices,audit,status}: the rest of the admin area.
// Routes are chained so that their input and answer types reach the typed client (AdminApp, cli/admin.ts).
import { Hono } from 'hono';
import { MAX_BUNDLE_ISSUERS, rootFingerprint } from '../../protocol/index.js';
import { DomainError } from '../errors.js';
import { HttpError } from './errors.js';
import { qrSvg } from '../qr.js';
import type { PolicySettings } from '../trust.js';
import { policyView, readHours } from './policy-hours.js';
import { jsonBody, param, queryOf, type AppEnv, type Services } from './env.js';
import { auditQuery, enrolmentSchema, idSchema, policySchema, rollSchema, rotateSchema } from './schemas.js';

/** The enrolment URI a device (or its QR scanner) reads: server URL, one-time code, root key fingerprint. */
export function enrolmentUri(serverUrl: string, code: string, fingerprint: string): string {
  const q = new URLSearchParams({ u: serverUrl, c: code, fp: fingerprint });
  return `gatecode-enrol:?${q.toString()}`;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/;

/**
 * The server URL put into enrolment codes: `publicUrl` when configured. Without it, only a server listening on
 * loopback may make codes (for a gate on the same machine): its own listening address. The request's Host header
 * is never used: whoever reaches the admin API could otherwise point gates at a server of their choosing.
 */
export function serverUrl(s: Services): string {
  const configured = s.core.config.publicUrl;
  if (configured !== null) return configured.replace(/\/+$/, '');
  if (!LOOPBACK.test(s.core.config.host)) throw new DomainError('PUBLIC_URL_REQUIRED', { detail: 'publicUrl' });
  return s.core.listenUrl ?? `http://${s.core.config.host}:${s.core.config.port}`;
}

export function adminOpsRoutes(s: Services) {
  return new Hono<AppEnv>()
    .get('/status', (c) => {
      const bundle = s.core.trust.current();
      const root = s.core.keys.root();
      return c.json({
        serverTime: s.core.clock() / 1000,
        bundleVersion: bundle.version,
        revocationSeq: s.core.revocations.seq(),
        revocationFloor: s.core.revocations.floor(),
        rootKid: root.kid,
        rootFingerprint: rootFingerprint(root.publicKey),
        activeIssuerKid: s.core.keys.activeIssuer().kid,
        sunset: bundle.bundle.sunset,
        logId: s.core.revocations.logId(),
        events: s.devices.eventStorage(),
      });
    })
    .get('/keys', (c) => c.json({ root: s.core.keys.root().kid, issuers: s.core.trust.current().bundle.issuers }))
    .post('/keys/rotate', jsonBody(rotateSchema, { optional: true }), (c) => {
      const { revokeOld } = c.req.valid('json');
      const out = s.core.change({ bundle: true }, (now) => {
        // The bundle lists every issuer key with unexpired passes; the format holds MAX_BUNDLE_ISSUERS of them.
        // (change() has already refused any change once the sunset has passed: DEPLOYMENT_ENDED.)
        if (s.core.trust.issuerCount(now) >= MAX_BUNDLE_ISSUERS)
          throw new DomainError('TOO_MANY_KEYS', { detail: `issuers:${MAX_BUNDLE_ISSUERS}` });
        const r = s.core.keys.rotate({ issuer: s.core.config.issuer, now, revokeOld });
        s.core.audit.record(now, c.get('actor'), 'key.rotate', r.kid, { previous: r.previous, revokeOld });
        return r;
      });
      return c.json({ kid: out.kid, previous: out.previous, bundleVersion: s.core.trust.current().version }, 201);
    })
    .get('/policy', (c) => c.json(policyView(s)))
    .put('/policy', jsonBody(policySchema), (c) => {
      const body = c.req.valid('json');
      s.core.change({ bundle: true }, (now) => {
        const cur = s.core.trust.policy();
        const next: PolicySettings = {
          actions: { ...cur.actions, ...body.actions },
          maxOfflineAgeSeconds: body.maxOfflineAgeSeconds ?? cur.maxOfflineAgeSeconds,
          sunset: body.sunset ?? cur.sunset,
          hours: body.hours === undefined ? (cur.hours ?? null) : readHours(body.hours),
        };
        // The bundle format needs sunset > issuedAt (now); a past sunset would fail signing as a 500. (change()
        // has already refused any change once the current sunset has passed: DEPLOYMENT_ENDED.)
        if (next.sunset <= now) throw new HttpError('VALIDATION_FAILED', { detail: 'sunset' });
        // Opening the gate on red lets in revoked and denied passes: only on an explicit, audited request.
        const redOpen = next.actions.red === 'open' && cur.actions.red !== 'open';
        if (redOpen && body.allowRedOpen !== true)
          throw new DomainError('CONFIRMATION_REQUIRED', { detail: 'allowRedOpen' });
        s.core.trust.setPolicy(next);
        s.core.audit.record(now, c.get('actor'), 'policy.update', null, { from: cur, to: next });
        if (redOpen) s.core.audit.record(now, c.get('actor'), 'policy.red-open', null, { allowRedOpen: true });
      });
      return c.json(policyView(s));
    })
    .post('/enrolments', jsonBody(enrolmentSchema, { optional: true }), async (c) => {
      const body = c.req.valid('json');
      const { defaultTtlSeconds, maxTtlSeconds } = s.core.config.enrolment;
      const ttl = body.ttlSeconds ?? defaultTtlSeconds;
      if (ttl > maxTtlSeconds) throw new HttpError('VALIDATION_FAILED', { detail: 'ttlSeconds' });
      const url = serverUrl(s); // before the code exists: no code is made that could not name its server
      const { id, code, expiresAt } = s.devices.createEnrolment(ttl, c.get('actor'));
      const uri = enrolmentUri(url, code, rootFingerprint(s.core.keys.root().publicKey));
      return c.json({ id, code, expiresAt, enrolmentUri: uri, qrSvg: await qrSvg(uri) }, 201);
    })
    .get('/enrolments', (c) => c.json({ enrolments: s.devices.listEnrolments() }))
    .post('/enrolments/:id/revoke', (c) => {
      s.devices.revokeEnrolment(param(c.req.param('id'), idSchema), c.get('actor'));
      return c.json({ ok: true });
    })
    .get('/devices', (c) => c.json({ devices: s.devices.list() }))
    .get('/devices/:id', (c) => c.json({ device: s.devices.get(param(c.req.param('id'), idSchema)) }))
    .post('/devices/:id/roll', jsonBody(rollSchema, { optional: true }), (c) => {
      const { mode } = c.req.valid('json');
      return c.json({ mode, device: s.devices.roll(param(c.req.param('id'), idSchema), mode, c.get('actor')) });
    })
    .post('/devices/:id/revoke', (c) => {
      const device = s.devices.revoke(param(c.req.param('id'), idSchema), c.get('actor'));
      s.webhooks.emit('device.revoked', { deviceId: device.deviceId, name: device.name, by: c.get('actor') });
      return c.json({ device });
    })
    .get('/events/summary', (c) => c.json({ summary: s.devices.eventSummary() }))
    .get('/audit', queryOf(auditQuery), (c) => c.json({ entries: s.core.audit.list(c.req.valid('query')) }));
}
