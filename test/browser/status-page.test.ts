// The device status page in real Chromium, fed by a StatusHub that the test drives as the pipeline would.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { StatusHub } from '../../device/status/hub.js';
import { startStatusServer, type StatusServer } from '../../device/status/server.js';
import { describeBrowser, launchChromium, SCREENSHOT_DIR, type ImageLike } from './chromium.js';

let browser: Browser;
let server: StatusServer;
let hub: StatusHub;
let page: Page;
const pulse = vi.fn();
const t0 = Math.floor(Date.now() / 1000);

function testFrame(seq: number): { width: number; height: number; data: Uint8Array; timestamp: number; seq: number } {
  const data = new Uint8Array(640 * 480);
  for (let y = 0; y < 480; y++) for (let x = 0; x < 640; x++) data[y * 640 + x] = (x ^ y) & 0xff;
  return { width: 640, height: 480, data, timestamp: seq * 33, seq };
}

beforeAll(async () => {
  hub = new StatusHub();
  hub.update({
    identity: { site: 'north-hall', gate: 'turnstile-2', direction: 'in', version: '0.1.0' },
    leds: { pattern: 'idle', pixels: Array.from({ length: 16 }, () => [0, 0, 24] as const) },
    inputs: { door: false, exit: false, rotation: null },
    sync: {
      online: true,
      lastSyncAt: t0 - 60,
      trustDataAt: t0 - 120,
      revocationSeq: 12,
      bundleVersion: 3,
      sunset: t0 + 90 * 86400,
      maxOfflineAgeSeconds: 86400,
      clockDriftSeconds: 2,
      clockSource: 'none',
    },
    counters: { entries: 4, exits: 1, 'denied:REVOKED': 1 },
    occupancy: 3,
  });
  hub.onPulseRequest(pulse);
  server = await startStatusServer({ port: 0, token: 'bench-token', hub, frameIntervalMs: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
  await page.goto(server.url);
  await page.getByText('Live', { exact: true }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describeBrowser('device status page (Chromium)', () => {
  it('shows identity, sync state, counters and inputs from the hub', async () => {
    await expect(page.locator('#identity').textContent()).resolves.toBe(
      'site north-hall · gate turnstile-2 · direction in',
    );
    await expect(page.locator('#sync-seq').textContent()).resolves.toBe('12');
    await expect(page.locator('#sync-bundle').textContent()).resolves.toBe('3');
    await expect(page.locator('#sync-online').textContent()).resolves.toBe('online');
    await expect(page.locator('#sync-clock').textContent()).resolves.toBe('NOT CONFIRMED: green shows yellow');
    await expect(page.locator('#sync-clock').getAttribute('class')).resolves.toContain('warn');
    await expect(page.locator('#sync-age').textContent()).resolves.toMatch(/^2 min of 24\.0 h allowed$/);
    await expect(page.locator('#occupancy').textContent()).resolves.toBe('3');
    await expect(page.locator('#counters').textContent()).resolves.toContain('denied: pass revoked');
    await expect(page.locator('#in-rotation').textContent()).resolves.toBe('not wired');
    await expect(page.locator('#in-tamper').textContent()).resolves.toBe('not wired');
    await expect(page.locator('#verdict').textContent()).resolves.toContain('No pass scanned yet');
    expect(await page.locator('#ring circle').count()).toBe(16);
  });

  it('updates live without a reload: verdicts with text next to colour, LED ring, relay, alarms', async () => {
    await page.evaluate('window.marker = 42');
    hub.verdict({ at: t0, colour: 'green', reason: 'OK', opened: true });
    hub.update({
      leds: { pattern: 'green', pixels: Array.from({ length: 16 }, () => [0, 60, 0] as const) },
      relay: { active: true },
    });
    await page.locator('#verdict.verdict-green').waitFor();
    await expect(page.locator('#verdict').textContent()).resolves.toMatch(/GREEN — valid pass.*gate opened/);
    await expect(page.locator('#relay').textContent()).resolves.toContain('ENERGISED');
    await expect(page.locator('#led-pattern').textContent()).resolves.toBe('green');
    expect(await page.locator('#ring circle').first().getAttribute('fill')).toBe('rgb(0,255,0)');

    hub.verdict({ at: t0 + 5, colour: 'red', reason: 'REVOKED', opened: false });
    hub.update({
      relay: { active: false },
      alarms: ['door-held-open', 'tamper'],
      inputs: { door: true, tamper: true },
      sync: { online: false, lastError: 'NETWORK' },
    });
    await page.locator('#verdict.verdict-red').waitFor();
    await expect(page.locator('#verdict').textContent()).resolves.toMatch(
      /RED — pass revoked.*REVOKED.*gate stayed closed/,
    );
    await expect(page.locator('#recent tr').count()).resolves.toBe(2);
    await expect(page.locator('#recent tr').first().textContent()).resolves.toContain('pass revoked (REVOKED)');
    await page.getByText('door-held-open').waitFor();
    await expect(page.locator('#in-door').textContent()).resolves.toBe('OPEN');
    await expect(page.locator('#in-tamper').textContent()).resolves.toBe('OPEN: TAMPER');
    await expect(page.locator('#alarms').textContent()).resolves.toBe('door-held-open, tamper');
    await expect(page.locator('#sync-online').textContent()).resolves.toBe('offline');
    expect(await page.evaluate('window.marker')).toBe(42);
  });

  it('shows the latest camera frame with the decode region, and the next one when it arrives', async () => {
    hub.frame(testFrame(1), [
      [200, 140],
      [440, 150],
      [430, 360],
      [190, 350],
    ]);
    await page.locator('#frame[data-seq="1"]').waitFor();
    await expect(page.locator('#frame-caption').textContent()).resolves.toContain('green outline');
    const size = await page.locator('#frame').evaluate((img: ImageLike) => [img.naturalWidth, img.naturalHeight]);
    expect(size).toEqual([640, 480]);
    hub.frame(testFrame(2), null);
    await page.locator('#frame[data-seq="2"]').waitFor();
    if (SCREENSHOT_DIR) await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'status-page.png'), fullPage: true });
  });

  it('pulses the relay from the keyboard with the local token and reports a wrong one', async () => {
    await page.getByLabel('Local token').focus();
    await page.keyboard.type('wrong');
    await page.keyboard.press('Enter');
    await expect(page.locator('#pulse-result').getByText('Wrong token.').waitFor()).resolves.toBeUndefined();
    expect(pulse).not.toHaveBeenCalled();
    await page.getByLabel('Local token').fill('bench-token');
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement?.id')).resolves.toBe('pulse-button');
    await page.keyboard.press('Enter');
    await page
      .locator('#pulse-result')
      .getByText(/Relay pulsed/)
      .waitFor();
    expect(pulse).toHaveBeenCalledTimes(1);
  });

  it('names every control for assistive technology', async () => {
    const tree = await page.locator('body').ariaSnapshot();
    expect(tree).toContain('button "Pulse relay"');
    expect(tree).not.toMatch(/^\s*- (textbox|combobox|button|radio|checkbox|spinbutton|link)\b(?! ")/m);
  });

  it('says so when the connection to the device is lost', async () => {
    const other = await browser.newPage();
    const s2hub = new StatusHub();
    const s2 = await startStatusServer({ port: 0, token: null, hub: s2hub });
    await other.goto(s2.url);
    await other.getByText('Live', { exact: true }).waitFor();
    await expect(other.locator('#pulse-button').isDisabled()).resolves.toBe(true);
    await s2.close();
    await other.getByText(/Connection lost/).waitFor();
    await other.close();
  });
});
