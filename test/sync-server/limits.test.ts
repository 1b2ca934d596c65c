// Limits the issue found missing: issuer key rotation beyond what a bundle can list, key files of failed changes.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BUNDLE_ISSUERS } from '../../protocol/index.js';
import { cleanup, openTestServer, type TestServer } from './helpers.js';

let s: TestServer | null = null;
afterEach(() => {
  if (s) {
    s.close();
    cleanup(s.dir);
  }
  s = null;
});

const keyFiles = (srv: TestServer): string[] => fs.readdirSync(path.join(srv.dir, 'keys')).sort();

describe('issuer key rotation', () => {
  it('refuses a rotation the bundle could not list with a 409, leaving no key file behind', async () => {
    s = openTestServer();
    const db = s.services.core.db;
    const now = s.clock.seconds;
    // 255 retired keys, each with an unexpired pass: with the active key the bundle lists the maximum.
    const key = db.prepare(
      "INSERT INTO signing_keys (kid, role, issuer, public_key, file, created_at, retired_at) VALUES (?, 'issuer', 'gatecode', ?, ?, ?, ?)",
    );
    const pass = db.prepare(
      "INSERT INTO passes (pass_id, revocation_id, colour, not_before, expires_at, scope, issued_at, kid, status) VALUES (?, ?, 'green', ?, ?, 'all', ?, ?, 'active')",
    );
    const pub = Buffer.alloc(32, 1).toString('base64url');
    db.transaction(() => {
      for (let i = 0; i < MAX_BUNDLE_ISSUERS - 1; i++) {
        const kid = i.toString(16).padStart(16, '0');
        key.run(kid, pub, `keys/issuer-${kid}.key`, now - 100, now - 50);
        pass.run(`${i}`.padStart(32, 'a'), `${i}`.padStart(32, 'b'), now - 60, now + 86_400, now - 60, kid);
      }
    })();
    expect(s.services.core.trust.issuerCount(now)).toBe(MAX_BUNDLE_ISSUERS);
    const before = keyFiles(s);
    for (const body of [{}, { revokeOld: true }]) {
      const res = await s.admin('POST', '/api/admin/keys/rotate', body);
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({
        error: 'TOO_MANY_KEYS',
        detail: `bundle lists ${MAX_BUNDLE_ISSUERS} issuer keys`,
      });
    }
    expect(keyFiles(s)).toEqual(before);
  });

  it('removes the key files of a rotation whose transaction rolled back', () => {
    s = openTestServer();
    const core = s.services.core;
    const before = keyFiles(s);
    expect(() =>
      core.change({ bundle: true }, (now) => {
        core.keys.rotate({ issuer: 'gatecode', now, revokeOld: false });
        expect(keyFiles(s!).length).toBe(before.length + 2);
        throw new Error('later step failed');
      }),
    ).toThrow('later step failed');
    expect(keyFiles(s)).toEqual(before);
    expect(() => core.keys.activeIssuer()).not.toThrow();
  });
});
