// Launches Debian's Chromium through playwright-core with the flags CI uses; each launch gets a fresh profile.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env['GATECODE_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** playwright's launch() always creates a new temporary user-data dir and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** Where screenshots go when GATECODE_SCREENSHOTS names a directory (for looking at the pages by eye). */
export const SCREENSHOT_DIR = process.env['GATECODE_SCREENSHOTS'] ?? null;

/** The part of an HTMLImageElement the tests read (the project compiles without the DOM library). */
export interface ImageLike {
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  decode(): Promise<void>;
}
