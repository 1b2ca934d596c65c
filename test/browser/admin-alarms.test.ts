// The admin page's Alarms and Webhooks sections in real Chromium against the real server on loopback and a real
// webhook receiver: a gate's alarm is listed and acknowledged; a webhook is added from the form (secret shown
// once), tested, and its delivery shows in the log. Screenshots at 390 px and desktop.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../sync-server/config.js';
import { startServer, type RunningServer } from '../../sync-server/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { describeBrowser, launchChromium, SCREENSHOT_DIR } from './chromium.js';

let dir: string;
let server: RunningServer;
let receiver: WebhookReceiver;
let adminToken: string;
let browser: Browser;
let page: Page;

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

async function shot(name: string): Promise<void> {
  if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  server = await startServer(parseConfig({ dataDir: dir, port: 0, logLevel: 'silent' }));
  receiver = await startWebhookReceiver();
  adminToken = fs.readFileSync(server.tokenFile, 'utf8').trim();
  // A gate reports a forced door and a fire release.
  const { code } = await api<{ code: string }>('POST', '/api/admin/enrolments', {});
  const enrolled = (await (
    await fetch(`${server.url}/api/device/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, name: 'north door' }),
    })
  ).json()) as { token: string };
  const now = Date.now() / 1000;
  await api(
    'POST',
    '/api/device/alarms',
    {
      alarms: [
        { id: randomBytes(16).toString('hex'), kind: 'door-forced', state: 'raised', at: now - 60 },
        { id: randomBytes(16).toString('hex'), kind: 'fire-release', state: 'raised', at: now - 30 },
      ],
    },
    enrolled.token,
  );
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${server.url}/admin`);
  await page.getByLabel('Admin token').fill(adminToken);
  await page.keyboard.press('Enter');
  await page.getByText('Logged in.').waitFor();
}, 60_000);

afterAll(async () => {
  try {
    await browser?.close();
    await server?.close(500);
    await receiver?.close();
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});

describeBrowser('admin page: alarms and webhooks (Chromium, real server)', () => {
  it('lists open alarms and acknowledges one (audited)', async () => {
    const rows = page.locator('#alarm-rows tr');
    await expect.poll(() => rows.count()).toBe(2);
    await expect(page.locator('#alarm-rows').innerText()).resolves.toMatch(/Door forced open\s+north door/);
    await shot('admin-alarms-390.png');
    await page.getByRole('button', { name: /Acknowledge Door forced open at north door/ }).click();
    await page.getByText(/Door forced open at north door .*acknowledged/).waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Show').first().selectOption('acknowledged');
    await expect.poll(() => page.locator('#alarm-rows').innerText()).toMatch(/Door forced open[\s\S]*by admin:/);
    const { entries } = await api<{ entries: { action: string }[] }>('GET', '/api/admin/audit');
    expect(entries.map((e) => e.action)).toContain('alarm.acknowledge');
  });

  it('adds a webhook from the form, shows its secret once, tests it and shows the delivery', async () => {
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.getByLabel('Receiver URL (http or https)').fill(receiver.url);
    await page.getByLabel('Alarm raised').check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText(/Copy its signing secret now/).waitFor();
    const secret = await page.locator('#webhook-secret-text').inputValue();
    expect(secret).toMatch(/^whsec_/);
    receiver.secret = secret;
    await expect(page.locator('#webhook-rows').innerText()).resolves.toContain(receiver.url);
    await page.getByRole('button', { name: /^Test webhook / }).click();
    await page.getByText(/Test delivery queued/).waitFor();
    await expect.poll(() => receiver.received.length).toBe(1);
    expect(receiver.received[0]).toMatchObject({ event: 'webhook.test', check: { ok: true }, answered: 204 });
    await expect
      .poll(async () => {
        await page.getByRole('button', { name: 'Refresh the delivery log' }).click();
        return page.locator('#delivery-rows').innerText();
      })
      .toMatch(/webhook\.test\s+delivered\s+204 \(\d+ ms\)/);
    await shot('admin-webhooks-desktop.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#webhooks').scrollIntoViewIfNeeded();
    await shot('admin-webhooks-390.png');
    // At 390 px nothing overflows the page sideways (the tables scroll inside their box).
    expect(await page.evaluate('document.documentElement.scrollWidth <= 390')).toBe(true);
  });
});
