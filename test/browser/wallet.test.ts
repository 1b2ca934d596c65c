// The holder's side in real Chromium against a real server on loopback: a holder-bound claim link opens the wallet,
// the service worker installs, the wallet keeps working offline; a screenshot of its rotating code is fed to a device
// runtime (simulated camera, real decoder, real SQLite store, manual clock, the server's own signed trust bundle):
// green now, red PROOF_STALE two minutes later on the device's clock. A colour change reaches the wallet once it is
// online again, and every request the browser sends to the server after the claim is a refresh (or the browser's
// own check of the service worker file). Bad links get their message; the page is used at 320 px, by keyboard,
// in dark mode; screenshots at 390 px and desktop.
import dc from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../cli/demo-deployment.js';
import { greyFromEncoded } from '../../hardware/camera/image-file.js';
import { encodePublicKey } from '../../protocol/index.js';
import { Deployment } from '../support/deployment.js';
import { Harness } from '../device/helpers/harness.js';
import { launchChromium, SCREENSHOT_DIR } from './chromium.js';

/** The device trusts what the server signed: its root key and its current bundle. */
class ServerTrust extends Deployment {
  override readonly rootPublicKey: string;
  constructor(
    private readonly signed: Uint8Array,
    root: string,
  ) {
    super();
    this.rootPublicKey = root;
  }
  override bundleBytes(): Uint8Array {
    return this.signed;
  }
}

let dir: string;
let server: DemoServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let device: Harness | null = null;
/** Requests that reached the server from the browser (method and path), once recording is on. */
const seen: string[] = [];
let recording = false;
const onRequest = (msg: unknown): void => {
  const req = (msg as { request: IncomingMessage }).request;
  if (recording && req.socket.localPort === server.server.port && /Chrome/.test(req.headers['user-agent'] ?? '')) {
    seen.push(`${req.method} ${req.url}`);
  }
};

async function shot(p: Page, name: string): Promise<void> {
  if (SCREENSHOT_DIR) await p.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
}

async function claimLink(body: Record<string, unknown>): Promise<string> {
  const r = await server.call<{ url: string }>('POST', '/api/admin/claims', {
    colour: 'green',
    validForSeconds: 7 * 86_400,
    ...body,
  });
  return r.url;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  server = await startDemoServer(path.join(dir, 'server'));
  dc.subscribe('http.server.request.start', onRequest);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
}, 60_000);

afterAll(async () => {
  dc.unsubscribe('http.server.request.start', onRequest);
  try {
    await browser?.close();
    await device?.stop();
    await server?.server.close(100);
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

// A test that fails while the phone is offline must not leave the next ones offline too.
afterEach(async () => {
  recording = false;
  await context?.setOffline(false);
});

describe('wallet page (Chromium, real server, real device pipeline)', () => {
  it('claims a holder-bound pass, works offline, its live code opens the gate and a stale screenshot does not', async () => {
    const url = await claimLink({ holderBound: true });
    expect(url).toMatch(/\/wallet\/#claim=[A-Za-z0-9_-]{43}&holder=1$/);
    await page.goto(url);
    await page.locator('article.pass.green .qr svg').waitFor();
    await page.getByText(/Green pass added/).waitFor();
    expect(page.url()).not.toContain('claim='); // the secret left the address bar
    // Polled through page.evaluate: waitForFunction with a string evaluates it inside the page, which the
    // wallet's CSP (no 'unsafe-eval') refuses whenever the first check is false.
    await expect
      .poll(() => page.evaluate('navigator.serviceWorker.controller !== null'), { timeout: 15_000 })
      .toBe(true);
    recording = true;

    // Offline: the page itself comes from the service worker, the pass from IndexedDB.
    await context.setOffline(true);
    await page.reload();
    await page.locator('article.pass.green .qr svg').waitFor();
    await page.getByText('Offline: your passes still work.').waitFor();
    await expect(page.locator('.live').textContent()).resolves.toContain('changes every 5 seconds');
    const version = Number(await page.locator('.qr svg').getAttribute('data-version'));
    expect(version).toBeLessThanOrEqual(13);
    await shot(page, 'wallet-390-offline.png');

    // A screenshot of the live code, shown to a gate whose clock is now; then to the same gate 2 minutes later.
    // One frame of the page, clipped to the code: an element screenshot waits for the element to hold still,
    // and on a busy machine the code's 5-second rotation can replace it during that wait.
    const box = await page.locator('.qr svg').boundingBox();
    if (!box) throw new Error('the live code has no box on the page');
    const png = await page.screenshot({ clip: box });
    const frame = await greyFromEncoded(new Uint8Array(png), 'wallet screenshot', { width: 640, height: 480 });
    const { core } = server.server.services;
    const trust = new ServerTrust(core.trust.current().bytes, encodePublicKey(core.keys.root().publicKey));
    device = await Harness.start({ deployment: trust, startMs: Date.now() });
    const live = await device.decideFrame(frame);
    expect([live?.colour, live?.reason, live?.opens]).toEqual(['green', 'OK', true]);
    device.advance(120_000);
    const stale = await device.decideFrame(frame);
    expect([stale?.colour, stale?.reason, stale?.opens]).toEqual(['red', 'PROOF_STALE', false]);

    // The administrator changes the pass's colour while the phone is offline; back online, the wallet has it.
    const passes = await server.call<{ passes: { passId: string; holderKey: string | null }[] }>(
      'GET',
      '/api/admin/passes?status=active',
    );
    const bound = passes.passes.find((p) => p.holderKey !== null);
    if (!bound) throw new Error('no holder-bound pass on the server');
    await server.call('POST', `/api/admin/passes/${bound.passId}/colour`, { colour: 'yellow' });
    await context.setOffline(false);
    await page.locator('article.pass.yellow .qr svg').waitFor({ timeout: 15_000 });
    await page.getByText(/now Yellow/).waitFor();

    // The wallet keeps the refresh secret the claim gave it, never the link's secret (spent at the claim).
    const kept = await page.evaluate(`new Promise((resolve, reject) => {
      const open = indexedDB.open('gatecode-wallet');
      open.onerror = () => reject(new Error('no wallet database'));
      open.onsuccess = () => {
        const all = open.result.transaction('passes').objectStore('passes').getAll();
        all.onsuccess = () => resolve(all.result.map((r) => Object.keys(r).sort().join(',')));
      };
    })`);
    expect(kept).toEqual(['addedAt,id,pass,privateKey,refreshSecret,status']);
    // Coming back into view asks again (and every 5 minutes while open: test/sync-server/wallet-refresh.test.ts).
    const refreshes = (): number => seen.filter((r) => r === 'POST /api/wallet/refresh').length;
    const asked = refreshes();
    await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
    await expect.poll(refreshes, { timeout: 10_000 }).toBeGreaterThan(asked);

    // Everything the browser sent to the server since the claim: refreshes, and the browser's own check of sw.js.
    recording = false;
    expect(seen.filter((r) => r === 'POST /api/wallet/refresh').length).toBeGreaterThanOrEqual(1);
    expect(seen.filter((r) => r !== 'POST /api/wallet/refresh' && r !== 'GET /wallet/sw.js')).toEqual([]);
  }, 120_000);

  it('is usable at 320 px, by keyboard and in dark mode; desktop view; delete', async () => {
    await page.setViewportSize({ width: 320, height: 700 });
    await page.reload();
    await page.locator('article.pass .qr svg').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(320);
    await expect(page.getByRole('img', { name: /pass code for the gate scanner, live/ }).count()).resolves.toBe(1);

    // Keyboard: the first stop is the details summary; Enter opens "what this pass holds".
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const details = page.locator('details');
    await expect(details.getAttribute('open')).resolves.toBe('');
    await expect(details.textContent()).resolves.toMatch(/holderKey.*[A-Za-z0-9_-]{43}/);
    await expect(details.textContent()).resolves.toContain('EdDSA (-8)');

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(bg).not.toBe('rgb(245, 245, 244)');
    expect(await page.evaluate("getComputedStyle(document.querySelector('.qr')).backgroundColor")).toBe(
      'rgb(255, 255, 255)',
    );
    await shot(page, 'wallet-390-dark-details.png');

    // A second, printable pass; both shown on a desktop.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(await claimLink({ colour: 'red', scope: ['north', 'south-door'] }));
    await page.locator('article.pass.red').waitFor();
    await page.setViewportSize({ width: 1280, height: 900 });
    await expect(page.locator('article.pass').count()).resolves.toBe(2);
    await expect(page.locator('article.pass.red').textContent()).resolves.toContain('north, south-door');
    await shot(page, 'wallet-desktop.png');

    await page.locator('article.pass.red').getByRole('button', { name: 'Delete this pass' }).click();
    await page.getByText('Pass deleted.').waitFor();
    await expect(page.locator('article.pass').count()).resolves.toBe(1);
  }, 60_000);

  it('says why a used, tampered or malformed link gives no pass', async () => {
    const url = await claimLink({});
    await page.goto(url);
    await page.getByText(/Green pass added/).waitFor();
    const count = await page.locator('article.pass').count();
    await page.goto('about:blank');
    await page.goto(url);
    await page.getByText(/already used/).waitFor();
    const secret = /claim=([^&]+)/.exec(url)?.[1] ?? '';
    const tampered = url.replace(secret, (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1));
    await page.goto('about:blank');
    await page.goto(tampered);
    await page.getByText(/not valid/).waitFor();
    await page.goto('about:blank');
    await page.goto(url.replace(secret, secret.slice(0, 20)));
    await page.getByText(/not valid/).waitFor();
    await expect(page.locator('article.pass').count()).resolves.toBe(count);
  }, 60_000);
});

describe('admin page → claim link → wallet (Chromium)', () => {
  it('the admin page makes a holder-bound claim link; the wallet claims it and shows a live code', async () => {
    const admin = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await admin.goto(`${server.server.url}/admin`);
    await admin.getByLabel('Admin token').fill(server.adminToken);
    await admin.keyboard.press('Enter');
    await admin.getByText('Logged in.').waitFor();
    await admin.getByRole('radio', { name: 'Green' }).check();
    await admin.getByRole('radio', { name: /pass tied to the phone/ }).check();
    await admin.getByRole('button', { name: 'Issue pass' }).click();
    await admin.locator('#claim-result:not([hidden])').waitFor();
    const link = await admin.getByLabel(/Claim link \(works once/).inputValue();
    expect(link).toMatch(/\/wallet\/#claim=[A-Za-z0-9_-]{43}&holder=1$/);
    await expect.poll(() => admin.evaluate("document.getElementById('claim-qr').naturalWidth > 0")).toBe(true);
    await expect(admin.locator('#claim-facts').textContent()).resolves.toMatch(/Green, tied to the phone/);
    await shot(admin, 'admin-claim-link.png');
    await admin.close();

    const phone = await context.newPage();
    const before = await server.call<{ passes: unknown[] }>('GET', '/api/admin/passes');
    await phone.goto(link);
    await phone.getByText(/Green pass added/).waitFor();
    const after = await server.call<{ passes: { holderKey: string | null }[] }>('GET', '/api/admin/passes');
    expect(after.passes.length).toBe(before.passes.length + 1); // issued at claim time, with the phone's key
    expect(after.passes[0]?.holderKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await phone.close();
  }, 60_000);

  it('lists the claim links with their state (no secret) and revokes an open one; 390 px and desktop', async () => {
    const used = await claimLink({ colour: 'red' });
    const usedSecret = /claim=([^&]+)/.exec(used)?.[1] ?? '';
    const claimed = await fetch(`${server.server.url}/api/wallet/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: usedSecret }),
    });
    expect(claimed.status).toBe(201);
    const open = await claimLink({ colour: 'yellow', holderBound: true });
    const openSecret = /claim=([^&]+)/.exec(open)?.[1] ?? '';
    const admin = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    admin.on('dialog', (d) => void d.accept());
    await admin.goto(`${server.server.url}/admin`);
    await admin.getByLabel('Admin token').fill(server.adminToken);
    await admin.keyboard.press('Enter');
    await admin.getByText('Logged in.').waitFor();
    const rows = admin.locator('#claim-rows tr');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(2);
    const table = (await admin.locator('#claim-rows').textContent()) ?? '';
    expect(table).toContain('used');
    expect(table).toContain('open');
    expect(table).toMatch(/[0-9a-f]{8}… \(printable\)/); // the pass id shortened
    expect(await admin.content()).not.toContain(openSecret);
    expect(await admin.content()).not.toContain(usedSecret);
    await admin.locator('#claims-refresh').scrollIntoViewIfNeeded();
    await shot(admin, 'admin-claims-desktop.png');

    const openRow = admin.locator('#claim-rows tr[data-state="open"]').first();
    const id = (await openRow.getAttribute('data-claim-id')) ?? '';
    await openRow.getByRole('button', { name: `Revoke claim link ${id}` }).click();
    await admin.getByText(`Claim link ${id} revoked.`).waitFor();
    await admin.locator(`#claim-rows tr[data-claim-id="${id}"][data-state="revoked"]`).waitFor();
    await expect(admin.locator(`#claim-rows tr[data-claim-id="${id}"] button`).count()).resolves.toBe(0);

    await admin.setViewportSize({ width: 390, height: 844 });
    expect(await admin.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await admin.locator('#h-claim-list').scrollIntoViewIfNeeded();
    await shot(admin, 'admin-claims-390.png');
    await admin.close();

    // The revoked link, opened on the phone: a clear message and no pass.
    const phone = await context.newPage();
    await phone.goto(open);
    await phone.getByText(/withdrawn by the administrator/).waitFor();
    await phone.close();
  }, 60_000);
});
