// The two static pages the server carries, /admin/ and /wallet/, served by one helper (sync-server/http/
// static-folder.ts): each with its own security headers, by name from its own folder only, the wallet with its
// vendored QR module and its service worker's scope header.
import { afterAll, describe, expect, it } from 'vitest';
import { openTestServer } from '../support/server.js';

const srv = openTestServer();
afterAll(() => srv.close());
const get = (url: string) => srv.app.request(url);

describe('static pages', () => {
  it('redirects the bare mount to the folder and serves index.html with the page headers', async () => {
    for (const mount of ['/admin', '/wallet']) {
      const bare = await get(mount);
      expect([bare.status, bare.headers.get('location')]).toEqual([308, `${mount}/`]);
      const page = await get(`${mount}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await page.text()).toContain('<html');
    }
  });

  it('keeps each page its own policy: the admin page is never framed, the wallet may run its service worker', async () => {
    const admin = await get('/admin/admin.js');
    expect(admin.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(admin.headers.get('x-frame-options')).toBe('DENY');
    expect(admin.headers.get('content-security-policy')).not.toContain('worker-src');
    const wallet = await get('/wallet/wallet.js');
    expect(wallet.headers.get('x-frame-options')).toBeNull();
    expect(wallet.headers.get('content-security-policy')).toContain("worker-src 'self'");
    expect((await get('/wallet/sw.js')).headers.get('service-worker-allowed')).toBe('/wallet/');
    expect(wallet.headers.get('service-worker-allowed')).toBeNull();
    expect((await get('/wallet/manifest.webmanifest')).headers.get('content-type')).toBe('application/manifest+json');
  });

  it("serves the wallet's vendored QR module, under the wallet only", async () => {
    const uqr = await get('/wallet/vendor/uqr.mjs');
    expect(uqr.status).toBe(200);
    expect(uqr.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await uqr.text()).toContain('export');
    expect((await get('/admin/vendor/uqr.mjs')).status).toBe(404);
  });

  it('serves nothing outside the folder, no dot-file, no unlisted type, and no malformed name', async () => {
    for (const url of [
      '/admin/..%2F..%2Fpackage.json',
      '/wallet/..%2Fhttp%2Fwallet.ts',
      '/wallet/%2E%2E/admin-page/index.html',
      '/admin/.hidden',
      '/wallet/proof.d.ts',
      '/admin/missing.js',
      '/wallet/%E0%A4%A',
    ]) {
      const res = await get(url);
      expect(res.status, url).toBe(404);
      expect(await res.json()).toEqual({ error: 'NOT_FOUND' });
    }
  });
});
