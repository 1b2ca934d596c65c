import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodePublicKey,
  evaluatePass,
  verifyBundle,
  verifyPass,
  verifyRevocations,
  type TrustBundle,
} from '../../protocol/index.js';
import type { PassRecord } from '../../sync-server/passes.js';
import { bytesOf, cleanup, enrolDevice, openTestServer, type TestServer } from '../support/server.js';

let s: TestServer;
afterEach(() => {
  s.close();
  cleanup(s.dir);
});

async function trust(srv: TestServer, token: string) {
  const root = decodePublicKey(fs.readFileSync(path.join(srv.dir, 'keys', 'root.pub'), 'utf8'));
  const bundle = verifyBundle(await bytesOf(await srv.device(token, 'GET', '/api/device/bundle')), root);
  const rev = verifyRevocations(await bytesOf(await srv.device(token, 'GET', '/api/device/revocations')), {
    rootPublicKey: root,
    bundle,
  });
  const revoked = new Set(rev.added.map((e) => e.revocationId));
  return { bundle, rev, isRevoked: (id: string) => revoked.has(id) };
}

async function issue(srv: TestServer, body: unknown): Promise<{ pass: PassRecord; text: string; qrSvg: string }> {
  const res = await srv.admin('POST', '/api/admin/passes', body);
  expect(res.status).toBe(201);
  return (await res.json()) as { pass: PassRecord; text: string; qrSvg: string };
}

describe('admin API', () => {
  it('refuses requests without a valid admin token and never stores the token itself', async () => {
    s = openTestServer();
    expect((await s.app.request('/api/admin/passes')).status).toBe(401);
    const wrong = s.token.slice(0, -4) + 'AAAA';
    const res = await s.device(wrong, 'GET', '/api/admin/passes');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'TOKEN_INVALID' });
    // A device token is not an admin token.
    const dev = await enrolDevice(s);
    expect((await s.device(dev.token, 'GET', '/api/admin/passes')).status).toBe(401);
    expect((await s.admin('GET', '/api/admin/passes')).status).toBe(200);
    s.services.core.db.pragma('wal_checkpoint(TRUNCATE)');
    const db = fs.readFileSync(path.join(s.dir, 'gatecode.db'));
    expect(db.includes(Buffer.from(s.token.split('.')[2] as string))).toBe(false);
    expect(fs.statSync(s.tokenFile).mode & 0o777).toBe(0o600);
  });

  it('issues a pass that verifies against the served bundle, with QR images, and lists metadata only', async () => {
    s = openTestServer();
    const out = await issue(s, { colour: 'green', validForSeconds: 3600, scope: ['north-gate'] });
    expect(out.text.startsWith('GC1:')).toBe(true);
    expect(out.qrSvg).toContain('<svg');
    expect(out.pass).toMatchObject({
      colour: 'green',
      status: 'active',
      scope: ['north-gate'],
      notBefore: s.clock.seconds,
      expiresAt: s.clock.seconds + 3600,
    });
    const dev = await enrolDevice(s);
    const t = await trust(s, dev.token);
    const claims = verifyPass(out.text, {
      bundle: t.bundle,
      now: s.clock.seconds,
      site: 'north-gate',
      isRevoked: t.isRevoked,
    });
    expect(claims.passId).toBe(out.pass.passId);

    const svg = await s.admin('GET', `/api/admin/passes/${out.pass.passId}/qr.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    const png = await bytesOf(await s.admin('GET', `/api/admin/passes/${out.pass.passId}/qr.png`));
    expect(Buffer.from(png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    // The re-rendered text is the same pass (Ed25519 is deterministic).
    const again = (await (await s.admin('GET', `/api/admin/passes/${out.pass.passId}/text`)).json()) as {
      text: string;
    };
    expect(again.text).toBe(out.text);

    const list = (await (await s.admin('GET', '/api/admin/passes')).json()) as { passes: Record<string, unknown>[] };
    expect(list.passes).toHaveLength(1);
    expect(Object.keys(list.passes[0] as object).sort()).toEqual(
      [
        'colour',
        'expiresAt',
        'holderKey',
        'issuedAt',
        'kid',
        'notBefore',
        'passId',
        'replacedBy',
        'revocationId',
        'revokedAt',
        'scope',
        'status',
      ].sort(),
    );
    expect(JSON.stringify(list)).not.toContain(out.text.slice(4, 40));
  });

  it('rejects malformed input with 400 and a reason, unknown passes with 404', async () => {
    s = openTestServer();
    const cases: [unknown, string][] = [
      [{ colour: 'blue', validForSeconds: 60 }, 'VALIDATION_FAILED'],
      [{ colour: 'green' }, 'VALIDATION_FAILED'],
      [{ colour: 'green', validForSeconds: 60, expiresAt: 2_000_000_000 }, 'VALIDATION_FAILED'],
      [{ colour: 'green', validForSeconds: 60, name: 'Alice' }, 'VALIDATION_FAILED'],
      [{ colour: 'green', validForSeconds: 60, scope: ['bad site!'] }, 'VALIDATION_FAILED'],
      ['{not json', 'BAD_JSON'],
    ];
    for (const [body, reason] of cases) {
      const res = await s.admin('POST', '/api/admin/passes', body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(reason);
    }
    const past = await s.admin('POST', '/api/admin/passes', {
      colour: 'green',
      notBefore: s.clock.seconds,
      expiresAt: s.clock.seconds - 1,
    });
    expect(past.status).toBe(400);
    const sunset = ((await (await s.admin('GET', '/api/admin/policy')).json()) as { sunset: number }).sunset;
    const pastSunset = await s.admin('POST', '/api/admin/passes', { colour: 'green', expiresAt: sunset + 1 });
    expect(pastSunset.status).toBe(409);
    expect(await pastSunset.json()).toEqual({
      error: 'BEYOND_SUNSET',
      detail: new Date(sunset * 1000).toISOString(),
    });
    expect((await s.admin('POST', '/api/admin/passes', { colour: 'green', expiresAt: sunset })).status).toBe(201);
    const missing = await s.admin('POST', `/api/admin/passes/${'ab'.repeat(16)}/revoke`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'PASS_NOT_FOUND' });
    expect((await s.admin('GET', '/api/admin/nothing-here')).status).toBe(404);
    const wrongType = await s.admin('POST', '/api/admin/passes', undefined, { 'Content-Type': 'text/plain' });
    expect(wrongType.status).toBe(415);
  });

  it('revokes a pass: the revocation delta names it, the device turns it red, a second revoke is 409', async () => {
    s = openTestServer();
    const { pass, text } = await issue(s, { colour: 'green', validForSeconds: 3600 });
    const res = await s.admin('POST', `/api/admin/passes/${pass.passId}/revoke`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { pass: PassRecord }).pass.status).toBe('revoked');
    expect((await s.admin('POST', `/api/admin/passes/${pass.passId}/revoke`)).status).toBe(409);
    expect((await s.admin('GET', `/api/admin/passes/${pass.passId}/qr.svg`)).status).toBe(409);
    const dev = await enrolDevice(s);
    const t = await trust(s, dev.token);
    const verdict = evaluatePass(text, { bundle: t.bundle, now: s.clock.seconds, isRevoked: t.isRevoked });
    expect(verdict).toMatchObject({ colour: 'red', reason: 'REVOKED' });
  });

  it('changes a colour by revoking the old code and issuing a new one in one step', async () => {
    s = openTestServer();
    const { pass, text } = await issue(s, { colour: 'green', validForSeconds: 3600, scope: ['a'] });
    const seqBefore = s.services.core.revocations.seq();
    const res = await s.admin('POST', `/api/admin/passes/${pass.passId}/colour`, { colour: 'yellow' });
    expect(res.status).toBe(201);
    const out = (await res.json()) as { pass: PassRecord; text: string; replaced: string };
    expect(out.replaced).toBe(pass.passId);
    expect(out.pass).toMatchObject({ colour: 'yellow', expiresAt: pass.expiresAt, scope: ['a'], status: 'active' });
    expect(out.pass.revocationId).not.toBe(pass.revocationId);
    expect(s.services.core.revocations.seq()).toBe(seqBefore + 1);
    const old = (await (await s.admin('GET', `/api/admin/passes/${pass.passId}`)).json()) as { pass: PassRecord };
    expect(old.pass).toMatchObject({ status: 'replaced', replacedBy: out.pass.passId });

    const dev = await enrolDevice(s);
    const t = await trust(s, dev.token);
    const ctx = { bundle: t.bundle, now: s.clock.seconds, site: 'a', isRevoked: t.isRevoked };
    expect(evaluatePass(text, ctx)).toMatchObject({ colour: 'red', reason: 'REVOKED' });
    expect(evaluatePass(out.text, ctx)).toMatchObject({ colour: 'yellow', reason: 'OK' });
    // A replaced pass cannot change colour again.
    expect((await s.admin('POST', `/api/admin/passes/${pass.passId}/colour`, { colour: 'red' })).status).toBe(409);
  });

  it('leaves nothing half-done when a colour change fails inside its transaction', async () => {
    s = openTestServer();
    const { pass } = await issue(s, { colour: 'green', validForSeconds: 3600 });
    const seq = s.services.core.revocations.seq();
    // Break the issuer key lookup so the new pass cannot be stored after the old one is marked replaced.
    s.services.core.db.exec("CREATE TRIGGER boom BEFORE INSERT ON passes BEGIN SELECT RAISE(ABORT, 'boom'); END");
    const res = await s.admin('POST', `/api/admin/passes/${pass.passId}/colour`, { colour: 'red' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'INTERNAL' });
    expect(s.services.core.revocations.seq()).toBe(seq);
    const after = (await (await s.admin('GET', `/api/admin/passes/${pass.passId}`)).json()) as { pass: PassRecord };
    expect(after.pass.status).toBe('active');
  });

  it('marks passes past expiry as expired in the list and filters by status', async () => {
    s = openTestServer();
    await issue(s, { colour: 'green', validForSeconds: 60 });
    await issue(s, { colour: 'red', validForSeconds: 7200 });
    s.clock.jumpSeconds(120);
    const expired = (await (await s.admin('GET', '/api/admin/passes?status=expired')).json()) as {
      passes: PassRecord[];
    };
    expect(expired.passes.map((p) => p.colour)).toEqual(['green']);
    expect((await s.admin('GET', '/api/admin/passes?status=nope')).status).toBe(400);
  });

  it('changes policy and sunset as new bundle versions, and rejects a bad policy', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const v1 = (await trust(s, dev.token)).bundle.version;
    const sunset = s.clock.seconds + 86400 * 10;
    const res = await s.admin('PUT', '/api/admin/policy', {
      actions: { yellow: 'open' },
      maxOfflineAgeSeconds: 3600,
      sunset,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      actions: { green: 'open', yellow: 'open', red: 'deny' },
      maxOfflineAgeSeconds: 3600,
      sunset,
    });
    const b: TrustBundle = (await trust(s, dev.token)).bundle;
    expect(b.version).toBe(v1 + 1);
    expect(b.policy).toEqual({ actions: { green: 'open', yellow: 'open', red: 'deny' }, maxOfflineAgeSeconds: 3600 });
    expect(b.sunset).toBe(sunset);
    expect((await s.admin('PUT', '/api/admin/policy', { actions: { green: 'maybe' } })).status).toBe(400);
    // A sunset not after now cannot be signed into a bundle: a 400 naming the field, nothing changed.
    for (const past of [0, s.clock.seconds]) {
      const bad = await s.admin('PUT', '/api/admin/policy', { sunset: past, maxOfflineAgeSeconds: 600 });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: 'VALIDATION_FAILED', detail: 'sunset' });
    }
    expect((await trust(s, dev.token)).bundle.version).toBe(v1 + 1);
    expect(((await (await s.admin('GET', '/api/admin/policy')).json()) as { sunset: number }).sunset).toBe(sunset);
    expect((await s.admin('GET', '/api/admin/policy')).status).toBe(200);
  });

  it('after the sunset the deployment is over: 410 DEPLOYMENT_ENDED for every signing change, devices shown as sunset', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const pass = await issue(s, { colour: 'green', validForSeconds: 3600 });
    const sunset = ((await (await s.admin('GET', '/api/admin/policy')).json()) as { sunset: number }).sunset;
    s.clock.jumpSeconds(366 * 86400); // past the default sunset of 365 days
    const kids = async () => (await (await s!.admin('GET', '/api/admin/keys')).json()) as { issuers: unknown[] };
    const before = await kids();
    const version = s.services.core.trust.current().version;
    for (const [method, url, body] of [
      ['POST', '/api/admin/keys/rotate', undefined],
      ['PUT', '/api/admin/policy', { maxOfflineAgeSeconds: 600 }],
      ['PUT', '/api/admin/policy', { sunset: s.clock.seconds + 86400 }], // a later sunset does not revive it
      ['POST', '/api/admin/passes', { colour: 'green', validForSeconds: 60 }],
      ['POST', `/api/admin/passes/${pass.pass.passId}/revoke`, undefined],
      ['POST', '/api/admin/enrolments', {}],
    ] as const) {
      const res = await s.admin(method, url, body);
      expect(res.status, url).toBe(410);
      expect(await res.json()).toEqual({ error: 'DEPLOYMENT_ENDED', detail: new Date(sunset * 1000).toISOString() });
    }
    expect(await kids()).toEqual(before);
    expect(s.services.core.trust.current().version).toBe(version);
    for (const url of ['/api/device/revocations?since=0', '/api/device/freshness'])
      expect((await s.device(dev.token, 'GET', url)).status, url).toBe(410);
    const devices = (await (await s.admin('GET', '/api/admin/devices')).json()) as { devices: { status: string }[] };
    expect(devices.devices.map((d) => d.status)).toEqual(['sunset']);
    expect(s.services.core.publishFreshness()).toBe(false);
  });

  it('moves the sunset earlier or later before it passes; opening on red needs allowRedOpen and is audited', async () => {
    s = openTestServer();
    const policy = async () => (await (await s!.admin('GET', '/api/admin/policy')).json()) as Record<string, unknown>;
    const first = await policy();
    for (const sunset of [s.clock.seconds + 86400, s.clock.seconds + 800 * 86400]) {
      const res = await s.admin('PUT', '/api/admin/policy', { sunset });
      expect(res.status).toBe(200);
      expect(s.services.core.trust.current().bundle.sunset).toBe(sunset);
    }
    expect((await policy())['bundleVersion']).toBe((first['bundleVersion'] as number) + 2);
    const refused = await s.admin('PUT', '/api/admin/policy', { actions: { red: 'open' } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'CONFIRMATION_REQUIRED', detail: 'allowRedOpen' });
    expect(((await policy())['actions'] as Record<string, string>)['red']).toBe('deny');
    const ok = await s.admin('PUT', '/api/admin/policy', { actions: { red: 'open' }, allowRedOpen: true });
    expect(ok.status).toBe(200);
    expect(s.services.core.trust.current().bundle.policy.actions.red).toBe('open');
    expect(s.services.core.audit.list({ limit: 2 }).map((e) => e.action)).toEqual(['policy.red-open', 'policy.update']);
    // Already open: other changes need no confirmation again.
    expect((await s.admin('PUT', '/api/admin/policy', { maxOfflineAgeSeconds: 600 })).status).toBe(200);
  });

  it('rotates the issuer key: old passes stay valid until they expire, new ones use the new key', async () => {
    s = openTestServer();
    const old = await issue(s, { colour: 'green', validForSeconds: 3600 });
    s.clock.jumpSeconds(10);
    const res = await s.admin('POST', '/api/admin/keys/rotate'); // no body: the defaults
    expect(res.status).toBe(201);
    const rot = (await res.json()) as { kid: string; previous: string[] };
    expect(rot.previous).toEqual([old.pass.kid]);
    s.clock.jumpSeconds(10);
    const fresh = await issue(s, { colour: 'green', validForSeconds: 3600 });
    expect(fresh.pass.kid).toBe(rot.kid);
    const dev = await enrolDevice(s);
    let t = await trust(s, dev.token);
    expect(t.bundle.issuers.map((k) => [k.kid, k.status])).toEqual([
      [old.pass.kid, 'retired'],
      [rot.kid, 'active'],
    ]);
    const ctx = { bundle: t.bundle, now: s.clock.seconds, isRevoked: t.isRevoked };
    expect(evaluatePass(old.text, ctx).reason).toBe('OK');
    expect(evaluatePass(fresh.text, ctx).reason).toBe('OK');
    // After the old key's last pass expires, the next bundle drops it.
    s.clock.jumpSeconds(3600);
    await s.admin('PUT', '/api/admin/policy', {});
    t = await trust(s, dev.token);
    expect(t.bundle.issuers.map((k) => k.kid)).toEqual([rot.kid]);
  });

  it('rotating with revokeOld makes the old key revoked, so its passes fail KEY_NOT_VALID', async () => {
    s = openTestServer();
    const old = await issue(s, { colour: 'green', validForSeconds: 3600 });
    expect((await s.admin('POST', '/api/admin/keys/rotate', { revokeOld: 'yes' })).status).toBe(400);
    expect((await s.admin('POST', '/api/admin/keys/rotate', { revokeOld: true })).status).toBe(201);
    const dev = await enrolDevice(s);
    const t = await trust(s, dev.token);
    expect(evaluatePass(old.text, { bundle: t.bundle, now: s.clock.seconds }).reason).toBe('KEY_NOT_VALID');
  });

  it('records every admin change in the audit log with the token id and no pass text', async () => {
    s = openTestServer();
    const { pass, text } = await issue(s, { colour: 'green', validForSeconds: 3600 });
    await s.admin('POST', `/api/admin/passes/${pass.passId}/colour`, { colour: 'red' });
    await s.admin('POST', '/api/admin/keys/rotate', {});
    await s.admin('PUT', '/api/admin/policy', { maxOfflineAgeSeconds: 7200 });
    const enr = (await (await s.admin('POST', '/api/admin/enrolments', {})).json()) as { code: string };
    const res = await s.admin('GET', '/api/admin/audit?limit=50');
    const { entries } = (await res.json()) as { entries: { actor: string; action: string; at: number }[] };
    const adminId = `admin:${s.token.split('.')[1]}`;
    const mine = entries.filter((e) => e.actor === adminId).map((e) => e.action);
    expect(mine).toEqual(['enrolment.create', 'policy.update', 'key.rotate', 'pass.colour', 'pass.issue']);
    expect(entries.every((e) => e.at === s.clock.seconds)).toBe(true);
    const all = JSON.stringify(entries);
    expect(all).not.toContain(text.slice(4, 30));
    expect(all).not.toContain(enr.code);
    expect(
      ((await (await s.admin('GET', '/api/admin/audit?limit=2')).json()) as { entries: unknown[] }).entries,
    ).toHaveLength(2);
  });

  it('rate-limits per token with 429 and Retry-After', async () => {
    s = openTestServer({
      rateLimit: { perToken: { ratePerSecond: 1, burst: 3 }, perAddress: { ratePerSecond: 1000, burst: 1000 } },
    });
    for (let i = 0; i < 3; i++) expect((await s.admin('GET', '/api/admin/passes')).status).toBe(200);
    const limited = await s.admin('GET', '/api/admin/passes');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toEqual({ error: 'RATE_LIMITED' });
    s.clock.jumpSeconds(1);
    expect((await s.admin('GET', '/api/admin/passes')).status).toBe(200);
  });

  it('answers 413 for a body over the limit', async () => {
    s = openTestServer({ bodyLimitBytes: 2048 });
    const res = await s.admin('POST', '/api/admin/passes', {
      colour: 'green',
      validForSeconds: 60,
      pad: 'x'.repeat(4096),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'BODY_TOO_LARGE' });
  });
});
