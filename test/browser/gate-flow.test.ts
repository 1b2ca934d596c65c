// The whole flow of issue 6 in real Chromium: an administrator logs in on the admin page, creates an enrolment
// code and issues a pass; a device enrolled with that code (started from a device config through device/boot.ts:
// real runtime, store, sync client and status page; simulated camera, GPIO and LED ring) sees the pass on its
// camera and its status page shows green; the administrator revokes the pass on the admin page; the device syncs,
// and the same pass held up again shows red, REVOKED.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../cli/demo-deployment.js';
import { startDemoDevice, type DemoDevice } from '../../cli/demo-device.js';
import { emptyFrame } from '../../cli/demo-frames.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import { describeBrowser, launchChromium, SCREENSHOT_DIR } from './chromium.js';

const SITE = 'north-hall';
let dir: string;
let server: DemoServer;
let device: DemoDevice | null = null;
let browser: Browser;
let admin: Page;
let status: Page;
let showing: Promise<void> | null = null;
let stopShowing = false;

/** Hold a frame in front of the camera at about 12 frames per second until told to stop. */
function show(frame: { width: number; height: number; data: Uint8Array }): void {
  const camera = device?.camera;
  if (!camera) throw new Error('the device has no simulated camera');
  stopShowing = false;
  showing = (async () => {
    while (!stopShowing) {
      void camera.push(frame);
      await new Promise((r) => setTimeout(r, 80));
    }
  })();
}

async function shot(page: Page, name: string): Promise<void> {
  if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  server = await startDemoServer(path.join(dir, 'server'));
  browser = await launchChromium();
  admin = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  admin.on('dialog', (d) => void d.accept());
  status = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
}, 60_000);

afterAll(async () => {
  stopShowing = true;
  try {
    await showing;
    await browser?.close();
    await device?.stop();
    await server?.server.close(100);
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

describeBrowser('admin page → device → status page (Chromium, real server and device runtime)', () => {
  it('issues a pass on the admin page, the device verifies it from the camera, revocation turns it red', async () => {
    await admin.goto(`${server.server.url}/admin`);
    await admin.getByLabel('Admin token').fill(server.adminToken);
    await admin.keyboard.press('Enter');
    await admin.getByText('Logged in.').waitFor();

    // Enrol the device with the code the admin page shows.
    await admin.getByRole('button', { name: 'Create enrolment code' }).click();
    await admin.locator('#enrol-result:not([hidden])').waitFor();
    const uri = await admin.getByLabel('Enrolment code as text').inputValue();
    device = await startDemoDevice({
      dataDir: path.join(dir, 'device'),
      enrolmentUri: uri,
      site: SITE,
      gate: 'gate-1',
      camera: { source: 'sim' },
      statusToken: 'local',
      pollIntervalSeconds: 1,
    });
    await status.goto(device.statusUrl);
    await status.getByText('Live', { exact: true }).waitFor();
    const seqBefore = Number(await status.locator('#sync-seq').textContent());

    // Issue a green pass for this site.
    await admin.getByRole('radio', { name: 'Green' }).check();
    await admin.getByLabel('Sites').fill(SITE);
    await admin.getByRole('button', { name: 'Issue pass' }).click();
    await admin
      .getByRole('status')
      .getByText(/Issued a green pass/)
      .waitFor();
    const text = await admin.getByLabel(/Pass text/).inputValue();
    const passId = (await admin.locator('#issued-facts code').textContent()) ?? '';

    // Hold it up to the device's camera as a phone would be.
    show(await renderPhoneScene(text, { seed: 7, perspective: 0.15, blur: 0.6, noise: 4, glare: 0.3 }));
    await status.locator('#verdict.verdict-green').waitFor({ timeout: 15_000 });
    await expect(status.locator('#verdict').textContent()).resolves.toMatch(/GREEN — valid pass.*OK · gate opened/);
    await status.locator('#frame[data-seq]').waitFor();
    expect(device.device.hub.snapshot().recent[0]).toMatchObject({ colour: 'green', reason: 'OK', opened: true });
    await shot(status, 'flow-status-green.png');

    // The person walks on; the administrator revokes the pass on the admin page; the device picks the
    // revocation up at its next poll (the status page shows the new sequence).
    stopShowing = true;
    await showing;
    show(emptyFrame(640, 480, 3));
    const seqGreen = Number(await status.locator('#sync-seq').textContent());
    await admin
      .locator(`tr[data-pass-id="${passId}"]`)
      .getByRole('button', { name: /Revoke pass/ })
      .click();
    await admin.locator(`tr[data-pass-id="${passId}"][data-status="revoked"]`).waitFor();
    await expect
      .poll(async () => Number(await status.locator('#sync-seq').textContent()), { timeout: 10_000, interval: 200 })
      .toBeGreaterThan(seqGreen);

    // The same pass held up again is refused.
    stopShowing = true;
    await showing;
    show(await renderPhoneScene(text, { seed: 8, perspective: 0.25, blur: 0.8, noise: 5, glare: 0.4 }));
    await status.locator('#verdict.verdict-red').waitFor({ timeout: 10_000 });
    await expect(status.locator('#verdict').textContent()).resolves.toMatch(
      /RED — pass revoked.*REVOKED · gate stayed closed/,
    );
    expect(seqGreen).toBe(seqBefore);
    const rows = await status.locator('#recent tr').allTextContents();
    expect(rows[0]).toContain('REVOKED');
    expect(rows.some((r) => r.includes('valid pass (OK)'))).toBe(true);
    await shot(status, 'flow-status-red.png');
    await shot(admin, 'flow-admin.png');
  }, 90_000);
});
