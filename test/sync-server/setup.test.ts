import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePublicKey, generateSigningKey } from '../../protocol/index.js';
import { writePrivateKeyFile } from '../../sync-server/keyfiles.js';
import type { PassRecord } from '../../sync-server/passes.js';
import { openServer } from '../../sync-server/server.js';
import { cleanup, openTestServer, tempDir, testConfig, type TestServer } from '../support/server.js';

let s: TestServer | null = null;
let dir = '';
afterEach(() => {
  s?.close();
  s = null;
  cleanup(dir);
});

describe('first start', () => {
  it('uses the key files the config names instead of generating keys', async () => {
    dir = tempDir();
    const root = generateSigningKey('acme');
    const issuer = generateSigningKey('acme');
    writePrivateKeyFile(path.join(dir, 'root.key'), root);
    writePrivateKeyFile(path.join(dir, 'issuer.key'), issuer);
    s = openTestServer(
      { issuer: 'acme', keys: { root: path.join(dir, 'root.key'), issuer: path.join(dir, 'issuer.key') } },
      undefined,
      path.join(dir, 'data'),
    );
    expect(s.createdKeys).toBe(false);
    expect(fs.existsSync(path.join(dir, 'data', 'keys', 'root.key'))).toBe(false);
    const res = await s.admin('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 60 });
    expect(((await res.json()) as { pass: PassRecord }).pass.kid).toBe(issuer.kid);
    const e = (await (await s.admin('POST', '/api/admin/enrolments', {})).json()) as { code: string };
    const enrol = await s.app.request('/api/device/enrol', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: e.code }),
    });
    expect(((await enrol.json()) as { rootPublicKey: string }).rootPublicKey).toBe(encodePublicKey(root.publicKey));
  });

  it('refuses a private key file that others can read', () => {
    dir = tempDir();
    writePrivateKeyFile(path.join(dir, 'root.key'), generateSigningKey('gatecode'));
    fs.chmodSync(path.join(dir, 'root.key'), 0o644);
    expect(() =>
      openTestServer({ keys: { root: path.join(dir, 'root.key') } }, undefined, path.join(dir, 'data')),
    ).toThrow(/chmod 600/);
  });

  it('puts the configured public URL into enrolment codes', async () => {
    dir = tempDir();
    s = openTestServer({ publicUrl: 'https://gates.example.org/' }, undefined, dir);
    const e = (await (await s.admin('POST', '/api/admin/enrolments', {})).json()) as { enrolmentUri: string };
    expect(new URL(e.enrolmentUri).searchParams.get('u')).toBe('https://gates.example.org');
  });

  it('exposes the server status for the admin page', async () => {
    dir = tempDir();
    s = openTestServer({}, undefined, dir);
    const st = (await (await s.admin('GET', '/api/admin/status')).json()) as Record<string, unknown>;
    expect(st).toMatchObject({ bundleVersion: 1, revocationSeq: 1, revocationFloor: 0, serverTime: s.clock.now() / 1000 });
    expect(st['rootFingerprint']).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  });
});

describe('admin token reset', () => {
  it('revokes every admin token and writes a new one when asked', () => {
    dir = tempDir();
    s = openTestServer({}, undefined, dir);
    const old = s.token;
    s.close();
    s = null;
    const opened = openServer(testConfig(dir), { newAdminToken: true });
    try {
      const fresh = fs.readFileSync(opened.tokenFile, 'utf8').trim();
      expect(fresh).not.toBe(old);
      expect(opened.createdAdminToken).not.toBeNull();
      expect(() => opened.services.admins.authenticate(old)).toThrow(
        expect.objectContaining({ code: 'TOKEN_INVALID' }),
      );
      expect(opened.services.admins.authenticate(fresh).actor).toBe(`admin:${fresh.split('.')[1]}`);
      expect(opened.services.core.audit.list({ limit: 5 }).map((e) => e.action)).toContain('admin-token.revoke-all');
    } finally {
      opened.services.core.close();
    }
  });
});
