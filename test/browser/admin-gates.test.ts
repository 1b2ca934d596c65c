// The admin page's "Gates online" in real Chromium: a real sync server and a real device (startDevice on simulated
// GPIO) holding its push channel; "Open gate" after a confirmation pulses the relay, "Lock down" turns the gate's
// lockdown on and back off; an operator token sees only the gates and may only open. Screenshots at 390 px and
// desktop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDevice, STORE_FILE } from '../../device/boot.js';
import type { RunningDevice } from '../../device/boot.js';
import { openStore } from '../../device/store/index.js';
import { enrol } from '../../device/sync/enrolment.js';
import { SITE } from '../support/deployment.js';
import { silentLog } from '../support/log.js';
import { startRealServer } from '../support/real-server.js';
import { describeBrowser, launchChromium, SCREENSHOT_DIR } from './chromium.js';
import { simDeviceConfig } from '../support/sim-device.js';

let env: Awaited<ReturnType<typeof startRealServer>>;
let device: RunningDevice;
let dir: string;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

async function shot(name: string): Promise<void> {
  if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
}

const pulses = (): number => device.hardware.sim?.gpio?.pulses.length ?? -1;

beforeAll(async () => {
  env = await startRealServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-gates-'));
  const store = openStore(path.join(dir, 'data', STORE_FILE));
  try {
    await enrol({ store, uri: await env.admin.enrolmentUri(), name: 'lobby' });
  } finally {
    store.close();
  }
  device = await startDevice(
    simDeviceConfig(dir, {
      gate: 'lobby-1',
      sync: { pollIntervalSeconds: 600 },
    }),
    { log: silentLog() },
  );
  const deadline = Date.now() + 10_000;
  while (env.server.services.push.connected().length === 0) {
    if (Date.now() > deadline) throw new Error('the device did not open its push channel');
    await new Promise((r) => setTimeout(r, 20));
  }
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  await page.goto(`${env.server.url}/admin`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await device?.stop();
  await env?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describeBrowser('admin page: gates online (Chromium, real server and device)', () => {
  it('opens the online gate after a confirmation: the relay pulses once', async () => {
    await page.getByLabel('Admin token').fill(fs.readFileSync(env.server.tokenFile, 'utf8').trim());
    await page.keyboard.press('Enter');
    const row = page.locator('#gate-rows tr', { hasText: `${SITE}/lobby-1` });
    await row.waitFor();
    expect(await row.textContent()).toContain('lobby');
    const before = pulses();
    await page.getByRole('button', { name: `Open gate ${SITE}/lobby-1` }).click();
    await page.getByText(new RegExp(`Gate ${SITE}/lobby-1: opened`)).waitFor();
    expect(dialogs.at(-1)).toBe(`Open gate ${SITE}/lobby-1 now, once?`);
    expect(pulses()).toBe(before + 1);
    await page.locator('#gates').scrollIntoViewIfNeeded();
    await shot('admin-gates-390.png');
  });

  it('locks the gate down and ends the lockdown from the toggle', async () => {
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.getByRole('button', { name: `Lock down gate ${SITE}/lobby-1` }).click();
    await page.getByRole('button', { name: `End the lockdown of gate ${SITE}/lobby-1` }).waitFor();
    expect(device.runtime.lockdown).toBe(true);
    expect(await page.locator('#gate-rows').textContent()).toContain('LOCKDOWN');
    await page.locator('#gates').scrollIntoViewIfNeeded();
    await shot('admin-gates-desktop.png');
    await page.getByRole('button', { name: `End the lockdown of gate ${SITE}/lobby-1` }).click();
    await page.getByRole('button', { name: `Lock down gate ${SITE}/lobby-1` }).waitFor();
    expect(device.runtime.lockdown).toBe(false);
    expect(dialogs.some((d) => d.startsWith(`Lock down gate ${SITE}/lobby-1?`))).toBe(true);
  });

  it('shows an operator only the gates, with Open gate and no lockdown toggle', async () => {
    const made = await env.admin.call<{ token: string }>('POST', '/api/admin/operators', { name: 'desk' });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Admin token').fill(made.body.token);
    await page.keyboard.press('Enter');
    await page.getByText('Logged in as an operator: you may open gates.').waitFor();
    expect(await page.locator('#passes').isHidden()).toBe(true);
    expect(await page.locator('#audit').isHidden()).toBe(true);
    await expect(page.evaluate('document.activeElement?.id')).resolves.toBe('h-gates');
    const before = pulses();
    await page.getByRole('button', { name: `Open gate ${SITE}/lobby-1` }).click();
    await page.getByText(new RegExp(`Gate ${SITE}/lobby-1: opened`)).waitFor();
    expect(pulses()).toBe(before + 1);
    expect(await page.getByRole('button', { name: `Lock down gate ${SITE}/lobby-1` }).count()).toBe(0);
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('admin-gates-operator-390.png');
  });

  it('says so when a gate went offline in the meantime', async () => {
    await device.push?.stop();
    await page.getByRole('button', { name: `Open gate ${SITE}/lobby-1` }).click();
    await page
      .getByRole('alert')
      .getByText(/offline gate cannot be opened remotely/)
      .waitFor();
    await page.getByRole('button', { name: 'Refresh gates online' }).click();
    await page.getByText('No gate is online now.').waitFor();
  });
});
