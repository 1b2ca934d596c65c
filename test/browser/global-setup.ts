// Vitest global setup: before any test file runs, say once which browser the browser suites use, or why they skip
// (or fail, under CI=true); and unpack the npm-shipped Chromium once, so the browser test files, which run in
// parallel, find it ready.
import { CHROMIUM, skipReason, unpackNpmChromium } from './chromium.js';

export default function setup(): void {
  const why = skipReason(CHROMIUM, process.env); // throws under CI=true when there is no browser
  if (why) {
    console.warn(why);
    return;
  }
  if (CHROMIUM.kind === 'npm') unpackNpmChromium(CHROMIUM);
  if (CHROMIUM.kind !== 'none') console.log(`browser tests use ${CHROMIUM.note}`);
}
