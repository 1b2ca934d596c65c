// The admin page in real Chromium against the real sync server (SQLite in a temp dir, loopback HTTP).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../sync-server/config.js';
import { startServer, type RunningServer } from '../../sync-server/server.js';
import { describeBrowser, launchChromium, SCREENSHOT_DIR, type ImageLike } from './chromium.js';

let dir: string;
let server: RunningServer;
let adminToken: string;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
/** The next confirm() is answered "Cancel" (dismissed) instead of "OK". */
let dismissNextDialog = false;

async function api<T>(method: string, p: string, body?: unknown, token = adminToken): Promise<T> {
  const res = await fetch(server.url + p, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface PassRecord {
  passId: string;
  colour: string;
  status: string;
  scope: string[] | 'all';
  replacedBy: string | null;
}

async function shot(name: string): Promise<void> {
  if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  server = await startServer(parseConfig({ dataDir: dir, port: 0, logLevel: 'silent' }));
  adminToken = fs.readFileSync(server.tokenFile, 'utf8').trim();
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    if (dismissNextDialog) void d.dismiss();
    else void d.accept();
    dismissNextDialog = false;
  });
  await page.goto(`${server.url}/admin`);
});

afterAll(async () => {
  try {
    await browser?.close();
    await server?.close(500);
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});

describeBrowser('admin page (Chromium, real server)', () => {
  it('refuses a wrong token and logs in with the admin token from the keyboard', async () => {
    await expect(page.evaluate('document.activeElement?.id')).resolves.toBe('login-token'); // focus starts in the field
    await page.keyboard.type('adm.wrong');
    await page.keyboard.press('Enter');
    await page
      .getByRole('alert')
      .getByText(/admin token was refused/)
      .waitFor();
    expect(await page.locator('#app').isHidden()).toBe(true);

    await page.getByLabel('Admin token').fill(adminToken);
    await page.keyboard.press('Enter');
    await page.getByText('Logged in.').waitFor();
    await expect(page.locator('#app').isVisible()).resolves.toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('gatecode.adminToken')")).toBe(adminToken);
    await page.reload();
    await page.locator('#app:not([hidden])').waitFor(); // still logged in within this tab
  });

  it('issues a pass and shows its QR code, text and downloads', async () => {
    await page.getByRole('radio', { name: 'Yellow' }).check();
    await page.getByLabel('Valid for', { exact: true }).selectOption({ label: '7 days' });
    await page.getByLabel('Sites').fill('north, south');
    await page.getByRole('button', { name: 'Issue pass' }).click();
    await page
      .getByRole('status')
      .getByText(/Issued a yellow pass/)
      .waitFor();

    const text = await page.getByLabel(/Pass text/).inputValue();
    expect(text).toMatch(/^GC1:/);
    const qr = page.locator('#issued-qr');
    await expect(qr.evaluate((img: ImageLike) => img.decode().then(() => img.naturalWidth))).resolves.toBeGreaterThan(
      50,
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download PNG' }).click(),
    ]);
    const file = await download.path();
    expect(fs.readFileSync(file).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(download.suggestedFilename()).toMatch(/^pass-[0-9a-f]{8}\.png$/);

    const { passes } = await api<{ passes: PassRecord[] }>('GET', '/api/admin/passes');
    expect(passes).toHaveLength(1);
    expect(passes[0]).toMatchObject({ colour: 'yellow', status: 'active', scope: ['north', 'south'] });
    const row = page.locator(`tr[data-pass-id="${passes[0]?.passId}"]`);
    await expect(row.textContent()).resolves.toMatch(/Yellow.*active.*north, south/);
    await shot('admin-issued.png');
  });

  it('changes a colour (old code revoked, new one shown) and revokes a pass', async () => {
    const before = (await api<{ passes: PassRecord[] }>('GET', '/api/admin/passes')).passes[0] as PassRecord;
    const row = page.locator(`tr[data-pass-id="${before.passId}"]`);
    await row.getByLabel(/New colour for pass/).selectOption('green');
    await row.getByRole('button', { name: /Change colour/ }).click();
    await page
      .getByRole('status')
      .getByText(/new green pass .* issued/)
      .waitFor();
    expect(dialogs.at(-1)).toMatch(/old code is revoked/);
    await page.locator(`tr[data-pass-id="${before.passId}"][data-status="replaced"]`).waitFor();

    const { passes } = await api<{ passes: PassRecord[] }>('GET', '/api/admin/passes');
    const old = passes.find((p) => p.passId === before.passId);
    const fresh = passes.find((p) => p.passId === old?.replacedBy);
    expect(old?.status).toBe('replaced');
    expect(fresh).toMatchObject({ colour: 'green', status: 'active' });
    await expect(page.locator('#issued-facts').textContent()).resolves.toContain(fresh?.passId);

    const freshRow = page.locator(`tr[data-pass-id="${fresh?.passId}"]`);
    await freshRow.getByRole('button', { name: /Revoke pass/ }).click();
    await page.locator(`tr[data-pass-id="${fresh?.passId}"][data-status="revoked"]`).waitFor();
    await expect(page.locator('#issued').isHidden()).resolves.toBe(true); // the revoked code is no longer offered
    await expect(page.locator(`tr[data-pass-id="${fresh?.passId}"]`).textContent()).resolves.toContain('revoked');
    const after = await api<{ pass: PassRecord }>('GET', `/api/admin/passes/${fresh?.passId}`);
    expect(after.pass.status).toBe('revoked');
  });

  it('creates an enrolment QR code, then lists the enrolled device with heartbeat and drift; rolls and revokes it', async () => {
    await page.getByRole('button', { name: 'Create enrolment code' }).click();
    await page.locator('#enrol-result:not([hidden])').waitFor();
    const uri = await page.getByLabel('Enrolment code as text').inputValue();
    expect(uri).toMatch(/^gatecode-enrol:\?u=/);
    await expect(
      page.locator('#enrol-qr').evaluate((img: ImageLike) => img.decode().then(() => img.naturalWidth)),
    ).resolves.toBeGreaterThan(50);
    const code = (await page.locator('#enrol-code').textContent()) ?? '';
    expect(uri).toContain(`c=${encodeURIComponent(code)}`);
    await shot('admin-enrolment.png');

    const enrolRes = await fetch(`${server.url}/api/device/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, name: 'north-gate' }),
    });
    expect(enrolRes.status).toBe(201);
    const { deviceId, token } = (await enrolRes.json()) as { deviceId: string; token: string };
    const now = Math.floor(Date.now() / 1000);
    await api(
      'POST',
      '/api/device/heartbeat',
      { versions: { app: '0.1.0' }, seq: 4, clock: now + 95, counters: { entries: 1 }, trustDataAt: now - 30 },
      token,
    );

    await page.getByRole('button', { name: 'Refresh devices' }).click();
    const row = page.locator(`tr[data-device-id="${deviceId}"]`);
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('north-gate');
    expect(text).toContain('active');
    expect(text).toMatch(/\+9\d(\.\d)? s \(check the clock\)/);
    expect(text).toMatch(/ago\)/);

    // A handover roll: the gate keeps its token until it has fetched a new one at its next sync.
    await row.getByRole('button', { name: /Roll the token of device .* at its next sync/ }).click();
    expect(dialogs.at(-1)).toMatch(/old token works until then/);
    await row.getByText('token roll pending').waitFor();
    const stillOk = await fetch(`${server.url}/api/device/bundle`, { headers: { authorization: `Bearer ${token}` } });
    expect([stillOk.status, stillOk.headers.get('gatecode-token-roll')]).toEqual([200, 'pending']);
    await expect(row.getByRole('button', { name: /at its next sync/ }).isDisabled()).resolves.toBe(true);
    await shot('admin-token-roll.png');

    await row.getByRole('button', { name: /Revoke device/ }).click();
    await page.locator(`tr[data-device-id="${deviceId}"]`).getByText('revoked').waitFor();

    // The used code is listed as used; a second, unused code can be revoked and then no longer enrols.
    await page.locator('#enrolment-rows tr[data-status="used"]').waitFor();
    await page.getByRole('button', { name: 'Create enrolment code' }).click();
    await page.locator('#enrolment-rows tr[data-status="open"]').waitFor();
    const second = (await page.locator('#enrol-code').textContent()) ?? '';
    await page
      .locator('#enrolment-rows tr[data-status="open"]')
      .getByRole('button', { name: /Revoke enrolment code/ })
      .click();
    await page.locator('#enrolment-rows tr[data-status="revoked"]').waitFor();
    await expect(page.locator('#enrol-result').isHidden()).resolves.toBe(true);
    const refused = await fetch(`${server.url}/api/device/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: second }),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
  });

  it('kills a stolen gate\'s token at once', async () => {
    const { code } = await api<{ code: string }>('POST', '/api/admin/enrolments', { ttlSeconds: 600 });
    const enrolled = await fetch(`${server.url}/api/device/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, name: 'south-gate' }),
    });
    const { deviceId, token } = (await enrolled.json()) as { deviceId: string; token: string };
    const bundle = () => fetch(`${server.url}/api/device/bundle`, { headers: { authorization: `Bearer ${token}` } });
    expect((await bundle()).status).toBe(200); // listed once it has used its token
    await page.getByRole('button', { name: 'Refresh devices' }).click();
    const row = page.locator(`tr[data-device-id="${deviceId}"]`);
    await row.getByRole('button', { name: /Kill the token of device .* now/ }).click();
    expect(dialogs.at(-1)).toMatch(/stops working at once.*needs a new enrolment code/);
    await row.getByText('revoked').waitFor();
    expect((await bundle()).status).toBe(401);
    await page.getByRole('status').getByText(/Re-enrol the gate with a new code/).waitFor();
  });

  it('saves the policy and sunset, and shows every change in the audit log', async () => {
    const before = await api<{ bundleVersion: number }>('GET', '/api/admin/policy');
    await page.getByLabel('Yellow', { exact: true }).last().selectOption('deny');
    await page.getByLabel('Maximum offline age (hours)').fill('12');
    await page.getByLabel('Sunset', { exact: true }).fill('2031-06-30T18:00');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page
      .getByRole('status')
      .getByText(/Policy saved/)
      .waitFor();
    const policy = await api<{
      actions: Record<string, string>;
      maxOfflineAgeSeconds: number;
      sunset: number;
      bundleVersion: number;
    }>('GET', '/api/admin/policy');
    expect(policy.actions['yellow']).toBe('deny');
    expect(policy.maxOfflineAgeSeconds).toBe(12 * 3600);
    expect(new Date(policy.sunset * 1000).getFullYear()).toBe(2031);
    expect(policy.bundleVersion).toBeGreaterThan(before.bundleVersion);

    await page.locator('#audit-rows').getByText('policy.update').waitFor();
    const audit = (await page.locator('#audit-rows').textContent()) ?? '';
    for (const action of ['pass.issue', 'pass.colour', 'pass.revoke', 'enrolment.create', 'policy.update'])
      expect(audit).toContain(action);
    await shot('admin-page.png');
  });

  it("shows the server's detail when it refuses a change", async () => {
    await page.getByLabel('Sunset', { exact: true }).fill('2001-01-01T00:00');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page
      .getByRole('alert')
      .getByText('The server did not accept these values. (VALIDATION_FAILED: sunset)')
      .waitFor();
    const policy = await api<{ sunset: number }>('GET', '/api/admin/policy');
    expect(new Date(policy.sunset * 1000).getFullYear()).toBe(2031); // nothing half-applied
  });

  it('names the sunset and the two ways out when a pass would outlive it (390 px and desktop)', async () => {
    const sunset = Math.floor(Date.now() / 1000) + 30 * 86400;
    await api('PUT', '/api/admin/policy', { sunset });
    await page.getByLabel('Valid for', { exact: true }).selectOption('31536000'); // 1 year
    await page.getByRole('button', { name: 'Issue pass' }).click();
    const iso = new Date(sunset * 1000).toISOString().replace('.000', '');
    const alert = page.getByRole('alert');
    await alert.getByText(/would outlive the deployment's sunset/).waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain(iso.slice(0, 16)); // the sunset, from the server's detail
    expect(text).toMatch(/Issue it for a shorter time, or move the sunset later under Policy/);
    expect(text).toContain('(BEYOND_SUNSET)');
    await page.locator('#passes').scrollIntoViewIfNeeded();
    await shot('admin-refusal-desktop.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await alert.scrollIntoViewIfNeeded();
    await shot('admin-refusal-390.png');
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  it('asks before opening the gate on red: cancel changes nothing, OK applies it and the audit log has it', async () => {
    await page.reload(); // the form shows the server's policy again (an earlier test left a refused sunset in it)
    // Wait for the page to fill the form from the server: a choice made before that would be overwritten by it.
    await expect.poll(() => page.locator('#policy-sunset').inputValue()).not.toBe('');
    await page.getByLabel('Red', { exact: true }).last().selectOption('open');
    dismissNextDialog = true;
    const asked = dialogs.length;
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => dialogs.length).toBe(asked + 1);
    expect(dialogs.at(-1)).toMatch(/Open the gate on red\? Revoked and denied passes will then open it/);
    const unchanged = await api<{ actions: Record<string, string>; bundleVersion: number }>('GET', '/api/admin/policy');
    expect(unchanged.actions['red']).toBe('deny');
    const auditBefore = await api<{ entries: { action: string }[] }>('GET', '/api/admin/audit');
    expect(auditBefore.entries.map((e) => e.action)).not.toContain('policy.red-open');

    await page.getByRole('button', { name: 'Save policy' }).click();
    await page
      .getByRole('status')
      .getByText(/Policy saved/)
      .waitFor();
    const applied = await api<{ actions: Record<string, string>; bundleVersion: number }>('GET', '/api/admin/policy');
    expect(applied.actions['red']).toBe('open');
    expect(applied.bundleVersion).toBe(unchanged.bundleVersion + 1);
    await page.locator('#audit-rows').getByText('policy.red-open').waitFor();
    await page.locator('#policy').scrollIntoViewIfNeeded();
    await shot('admin-red-open-desktop.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#audit-rows').getByText('policy.red-open').scrollIntoViewIfNeeded();
    await shot('admin-red-open-390.png');
    await page.setViewportSize({ width: 1200, height: 900 });
    await api('PUT', '/api/admin/policy', { actions: { red: 'deny' } });
  });

  it('names every control for assistive technology', async () => {
    const tree = await page.locator('body').ariaSnapshot();
    expect(tree).toContain('button "Issue pass"');
    expect(tree).not.toMatch(/^\s*- (textbox|combobox|button|radio|checkbox|spinbutton|link)\b(?! ")/m);
  });

  it('logs out and forgets the token', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('gatecode.adminToken')")).toBeNull();
    await expect(page.locator('#app').isHidden()).resolves.toBe(true);
  });
});
