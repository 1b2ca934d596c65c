// Claim links and the wallet API, in process on a hand-driven clock: a claim is single use, expires, and only its
// hash is stored; a holder-bound claim issues the pass with the wallet's key inside; refresh follows a colour change
// and reports a revocation; bad input gets its reason.
import { afterEach, describe, expect, it } from 'vitest';
import { encodePublicKey, generateSigningKey, inspectPass } from '../../protocol/index.js';
import { cleanup, openTestServer, type TestServer } from '../support/server.js';

let s: TestServer;
afterEach(() => {
  s.close();
  cleanup(s.dir);
});

interface Created {
  claim: { id: string; holderBound: boolean; passId: string | null; expiresAt: number };
  url: string;
  qrSvg: string;
  pass: { passId: string } | null;
  text: string | null;
}
interface WalletPass {
  passId: string;
  text: string;
  colour: string;
  holderBound: boolean;
  inspection: { claims: Record<string, unknown> };
}

async function create(body: Record<string, unknown>): Promise<Created & { secret: string }> {
  const res = await s.admin('POST', '/api/admin/claims', { colour: 'green', validForSeconds: 86_400, ...body });
  expect(res.status).toBe(201);
  const out = (await res.json()) as Created;
  const secret = /#claim=([A-Za-z0-9_-]{43})(&holder=1)?$/.exec(out.url)?.[1];
  if (!secret) throw new Error(`no secret in ${out.url}`);
  return { ...out, secret };
}

async function wallet(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await s.app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('claim links', () => {
  it('an unbound claim gives its pass once; the secret is stored only as a hash', async () => {
    s = openTestServer();
    s.services.core.listenUrl = 'http://127.0.0.1:8470'; // as startServer sets it once listening
    const c = await create({});
    // The server's own address (publicUrl, else its loopback listening address), never the request's Host header.
    expect(c.url).toMatch(/^http:\/\/127\.0\.0\.1:8470\/wallet\/#claim=/);
    expect(c.qrSvg).toContain('<svg');
    expect(c.pass?.passId).toBe(c.claim.passId);
    const first = await wallet('/api/wallet/claim', { secret: c.secret });
    expect(first.status).toBe(201);
    const pass = first.json['pass'] as WalletPass;
    expect(pass.text).toBe(c.text);
    expect(pass.holderBound).toBe(false);
    expect(pass.inspection.claims['passId']).toBe(c.claim.passId);
    const again = await wallet('/api/wallet/claim', { secret: c.secret });
    expect([again.status, again.json['error']]).toEqual([409, 'CLAIM_USED']);
    const rows = s.services.core.db.prepare('SELECT * FROM claims').all() as Record<string, unknown>[];
    expect(JSON.stringify(rows)).not.toContain(c.secret);
    expect((rows[0]?.['secret_hash'] as Buffer).length).toBe(32);
  });

  it('expired and tampered links are refused with their reasons, and nothing is issued', async () => {
    s = openTestServer();
    const c = await create({ claimTtlSeconds: 60, holderBound: true });
    const key = encodePublicKey(generateSigningKey('h').publicKey);
    const tampered = (c.secret[0] === 'A' ? 'B' : 'A') + c.secret.slice(1);
    expect((await wallet('/api/wallet/claim', { secret: tampered, holderKey: key })).json['error']).toBe(
      'CLAIM_NOT_FOUND',
    );
    expect((await wallet('/api/wallet/claim', { secret: c.secret.slice(1), holderKey: key })).status).toBe(400);
    s.clock.jumpSeconds(61);
    const late = await wallet('/api/wallet/claim', { secret: c.secret, holderKey: key });
    expect([late.status, late.json['error']]).toEqual([410, 'CLAIM_EXPIRED']);
    const passes = (await (await s.admin('GET', '/api/admin/passes')).json()) as { passes: unknown[] };
    expect(passes.passes).toHaveLength(0);
  });

  it('a holder-bound claim issues the pass with the wallet key inside; refresh follows a colour change', async () => {
    s = openTestServer();
    const c = await create({ holderBound: true, scope: ['north'] });
    expect(c.pass).toBeNull();
    const holder = encodePublicKey(generateSigningKey('h').publicKey);
    const missing = await wallet('/api/wallet/claim', { secret: c.secret });
    expect([missing.status, missing.json['detail']]).toEqual([400, 'holderKey.required']);
    const claimed = await wallet('/api/wallet/claim', { secret: c.secret, holderKey: holder });
    const pass = claimed.json['pass'] as WalletPass;
    expect(pass.holderBound).toBe(true);
    expect(inspectPass(pass.text).claims['holderKey']).toBe(holder);
    const refreshSecret = claimed.json['refreshSecret'] as string;
    expect(refreshSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(refreshSecret).not.toBe(c.secret);

    // The used link is no longer a credential: it fetches nothing, not even the pass it gave.
    const byLink = await wallet('/api/wallet/refresh', { secret: c.secret });
    expect([byLink.status, byLink.json['error'], byLink.json['detail']]).toEqual([409, 'CLAIM_USED', 'refreshSecret']);
    expect(byLink.json['pass']).toBeUndefined();
    // Only the refresh secret's hash is kept.
    const row = s.services.core.db.prepare('SELECT * FROM claims').get() as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain(refreshSecret);
    expect((row['refresh_hash'] as Buffer).length).toBe(32);

    const same = await wallet('/api/wallet/refresh', { secret: refreshSecret });
    expect((same.json['pass'] as WalletPass).passId).toBe(pass.passId);
    const changed = await s.admin('POST', `/api/admin/passes/${pass.passId}/colour`, { colour: 'yellow' });
    expect(changed.status).toBe(201);
    const after = await wallet('/api/wallet/refresh', { secret: refreshSecret });
    const fresh = after.json['pass'] as WalletPass;
    expect(after.json['status']).toBe('active');
    expect([fresh.colour, fresh.holderBound]).toEqual(['yellow', true]);
    expect(fresh.passId).not.toBe(pass.passId);
    expect(inspectPass(fresh.text).claims['holderKey']).toBe(holder);

    await s.admin('POST', `/api/admin/passes/${fresh.passId}/revoke`);
    expect((await wallet('/api/wallet/refresh', { secret: refreshSecret })).json).toEqual({ status: 'revoked' });
    const unknown = (refreshSecret[0] === 'A' ? 'B' : 'A') + refreshSecret.slice(1);
    expect((await wallet('/api/wallet/refresh', { secret: unknown })).json['error']).toBe('CLAIM_NOT_FOUND');
  });

  it('refuses an unbound claim with a key, a refresh before the claim, and a bound scope too long for the QR', async () => {
    s = openTestServer();
    const c = await create({});
    const key = encodePublicKey(generateSigningKey('h').publicKey);
    expect((await wallet('/api/wallet/claim', { secret: c.secret, holderKey: key })).json['detail']).toBe(
      'holderKey.unwanted',
    );
    expect((await wallet('/api/wallet/refresh', { secret: c.secret })).json['error']).toBe('CLAIM_NOT_CLAIMED');
    const sites = Array.from({ length: 6 }, (_, i) => `gate-hall-number-${i}`);
    const res = await s.admin('POST', '/api/admin/claims', {
      colour: 'green',
      validForSeconds: 3600,
      holderBound: true,
      scope: sites,
    });
    expect(await res.json()).toEqual({ error: 'PASS_INVALID', detail: 'TOO_LARGE' });
  });
});

describe('claim links in the admin API', () => {
  it('lists links with their state and no secret; an open link can be revoked and then cannot be claimed', async () => {
    s = openTestServer();
    const used = await create({});
    const open = await create({ holderBound: true });
    const short = await create({ claimTtlSeconds: 60 });
    expect((await wallet('/api/wallet/claim', { secret: used.secret })).status).toBe(201);
    s.clock.jumpSeconds(61);
    const list = async () =>
      ((await (await s.admin('GET', '/api/admin/claims')).json()) as { claims: { id: string; state: string }[] })
        .claims;
    const before = await list();
    expect(Object.fromEntries(before.map((c) => [c.id, c.state]))).toEqual({
      [used.claim.id]: 'used',
      [open.claim.id]: 'open',
      [short.claim.id]: 'expired',
    });
    const body = JSON.stringify(before);
    for (const secret of [used.secret, open.secret, short.secret]) expect(body).not.toContain(secret);

    const revoked = await s.admin('POST', `/api/admin/claims/${open.claim.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { claim: { state: string } }).claim.state).toBe('revoked');
    const key = encodePublicKey(generateSigningKey('h').publicKey);
    const late = await wallet('/api/wallet/claim', { secret: open.secret, holderKey: key });
    expect([late.status, late.json['error']]).toEqual([410, 'CLAIM_REVOKED']);
    // Used, expired and already revoked links cannot be revoked; an unknown id is not found.
    for (const [id, error] of [
      [used.claim.id, 'CLAIM_USED'],
      [short.claim.id, 'CLAIM_EXPIRED'],
      [open.claim.id, 'CLAIM_REVOKED'],
      ['0123456789abcdef', 'CLAIM_NOT_FOUND'],
    ] as const) {
      const res = await s.admin('POST', `/api/admin/claims/${id}/revoke`);
      expect(((await res.json()) as { error: string }).error).toBe(error);
    }
    const audit = s.services.core.db.prepare("SELECT action, target FROM audit WHERE action = 'claim.revoke'").all();
    expect(audit).toEqual([{ action: 'claim.revoke', target: open.claim.id }]);
  });
});
