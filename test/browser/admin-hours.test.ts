// The admin page's opening-hours editor in real Chromium against the real sync server: weekday rows, added ranges,
// an overnight range, a holiday, a scope schedule; a refusal names the problem and changes nothing; 390 px and
// desktop screenshots.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../sync-server/config.js';
import { startServer, type RunningServer } from '../../sync-server/server.js';
import { describeBrowser, launchChromium, SCREENSHOT_DIR } from './chromium.js';

let dir: string;
let server: RunningServer;
let adminToken: string;
let browser: Browser;
let page: Page;

interface HoursView {
  timeZone: string;
  weekly: Record<string, string[]>;
  holidays: string[];
  sites: Record<string, unknown>;
  scopes: Record<string, { weekly: Record<string, string[]> }>;
}

async function policy(): Promise<{ hours: HoursView | null; bundleVersion: number }> {
  const res = await fetch(`${server.url}/api/admin/policy`, { headers: { authorization: `Bearer ${adminToken}` } });
  return (await res.json()) as { hours: HoursView | null; bundleVersion: number };
}

async function shot(name: string): Promise<void> {
  if (SCREENSHOT_DIR) await page.locator('#hours').screenshot({ path: path.join(SCREENSHOT_DIR, name) });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  server = await startServer(parseConfig({ dataDir: dir, port: 0, logLevel: 'silent' }));
  adminToken = fs.readFileSync(server.tokenFile, 'utf8').trim();
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  await page.goto(`${server.url}/admin`);
  await page.getByLabel('Admin token').fill(adminToken);
  await page.keyboard.press('Enter');
  await page.getByText('Logged in.').waitFor();
});

afterAll(async () => {
  try {
    await browser?.close();
    await server?.close(500);
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});

const save = async (): Promise<void> => {
  await page.getByRole('button', { name: 'Save opening hours' }).click();
};

describeBrowser('admin page: opening hours (Chromium, real server)', () => {
  it('starts without hours; edits weekday ranges, an overnight range, a holiday and a scope schedule', async () => {
    expect((await policy()).hours).toBeNull();
    expect(await page.locator('#hours-editor').isHidden()).toBe(true);
    await page.getByLabel('Limit entry to opening hours').check();
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Add a range on Monday' }).click();
    expect(await page.getByLabel('Monday range 1 from').inputValue()).toBe('08:00');
    await page.getByRole('button', { name: 'Add a range on Friday' }).click();
    await page.getByLabel('Friday range 1 from').fill('22:00');
    await page.getByLabel('Friday range 1 to').fill('02:00');
    await page.getByLabel('Date', { exact: true }).fill('2027-12-25');
    await page.getByRole('button', { name: 'Add holiday' }).click();
    await page.getByRole('button', { name: 'Remove holiday 2027-12-25' }).waitFor();

    await page.getByLabel('Site or scope').selectOption('scope');
    await page.getByLabel('Own hours for a site or a scope').fill('staff');
    await page.getByRole('button', { name: 'Add schedule' }).click();
    expect(await page.getByLabel('Schedule', { exact: true }).inputValue()).toBe('scope:staff');
    await page.getByRole('button', { name: 'Add a range on Monday' }).click();
    await page.getByLabel('Monday range 1 from').fill('00:00');
    await page.getByLabel('Monday range 1 to').fill('00:00'); // the whole day
    await save();
    await page.getByRole('status').getByText('Opening hours saved.').waitFor();

    const { hours } = await policy();
    expect(hours).toMatchObject({
      timeZone: 'Europe/Berlin',
      holidays: ['2027-12-25'],
      sites: {},
    });
    expect(hours?.weekly['mon']).toEqual(['08:00-18:00']);
    expect(hours?.weekly['fri']).toEqual(['22:00-02:00']);
    expect(hours?.weekly['tue']).toEqual([]);
    expect(hours?.scopes['staff']?.weekly['mon']).toEqual(['00:00-24:00']);
  });

  it('shows the saved hours after a reload', async () => {
    await page.reload();
    await page.locator('#app:not([hidden])').waitFor();
    await page.locator('#hours-editor:not([hidden])').waitFor();
    expect(await page.getByLabel('Friday range 1 to').inputValue()).toBe('02:00');
    expect(await page.getByLabel('Time zone').inputValue()).toBe('Europe/Berlin');
    await page.getByLabel('Schedule', { exact: true }).selectOption('scope:staff');
    expect(await page.getByLabel('Monday range 1 to').inputValue()).toBe('00:00');
    await page.getByLabel('Schedule', { exact: true }).selectOption('default');
  });

  it('a refusal names the problem and nothing is changed', async () => {
    const before = await policy();
    await page.getByRole('button', { name: 'Add a range on Monday' }).click();
    await page.getByLabel('Monday range 2 from').fill('17:00');
    await page.getByLabel('Monday range 2 to').fill('19:00');
    await save();
    await page.getByRole('alert').getByText(/two ranges of one day overlap/).waitFor();
    expect(await policy()).toEqual(before);
    await page.getByRole('button', { name: 'Remove Monday range 2' }).click();
  });

  it('fits a 390 px screen and a desktop one (screenshots)', async () => {
    await page.locator('#hours').scrollIntoViewIfNeeded();
    await shot('admin-hours-desktop.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const box = await page.getByLabel('Friday range 1 to').boundingBox();
    expect((box?.x ?? 999) + (box?.width ?? 0)).toBeLessThanOrEqual(390);
    await shot('admin-hours-390.png');
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  it('unticked, saving removes the hours', async () => {
    await page.getByLabel('Limit entry to opening hours').uncheck();
    await save();
    await page.getByRole('status').getByText(/Opening hours removed/).waitFor();
    expect((await policy()).hours).toBeNull();
  });
});
