// The Chromium the browser tests drive through playwright-core; each launch gets a fresh profile. Which one, in
// this order:
//   1. GATECODE_CHROMIUM, a path to a Chromium or Chrome binary (an error if it does not exist);
//   2. the npm-shipped headless Chromium, the devDependency @sparticuz/chromium (Linux x64 only): `npm ci` brings it,
//      and it is unpacked once into node_modules/.cache/gatecode-chromium (about 2 s, 200 MB). First, so every
//      machine runs the same pinned browser;
//   3. a system Chromium (/usr/bin/chromium and the like), e.g. Debian's on a Raspberry Pi (arm64).
// With none, the browser suites skip with one line saying why (printed by global-setup.ts) — except with CI=true,
// where a missing browser is an error.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { describe } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NPM_PACKAGE = '@sparticuz/chromium';
export const SYSTEM_CHROMIUMS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
];

/** Flags for a desktop Chromium (GATECODE_CHROMIUM or a system one). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * @sparticuz/chromium's own flags, less the ones meant for AWS Lambda that would change what the pages are tested
 * against: --single-process (a Lambda sandbox limit) and the flags that switch off web security.
 */
const NPM_DROPPED_ARGS = new Set([
  '--single-process',
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--disable-site-isolation-trials',
]);

export type ChromiumChoice =
  | { readonly kind: 'env' | 'system'; readonly path: string; readonly note: string }
  | { readonly kind: 'npm'; readonly packageDir: string; readonly version: string; readonly note: string }
  | { readonly kind: 'none'; readonly reason: string };

export interface ChooseOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: string;
  readonly arch: string;
  readonly exists: (p: string) => boolean;
  /** The installed @sparticuz/chromium package folder, or null when it is not installed. */
  readonly npmPackageDir: string | null;
}

export const HOW_TO_GET_ONE =
  `run \`npm ci\` (it installs ${NPM_PACKAGE}, Linux x64), or install Chromium (Debian: apt-get install chromium), ` +
  'or set GATECODE_CHROMIUM to a Chromium binary';

/** Picks the browser (see the top of this file); pure, so the order is tested without changing the machine. */
export function chooseChromium(o: ChooseOptions): ChromiumChoice {
  const given = o.env['GATECODE_CHROMIUM'];
  if (given) return { kind: 'env', path: given, note: `GATECODE_CHROMIUM=${given}` };
  const npmBinary = o.npmPackageDir ? path.join(o.npmPackageDir, 'bin', 'chromium.br') : null;
  if (o.platform === 'linux' && o.arch === 'x64' && npmBinary && o.exists(npmBinary)) {
    const version = readVersion(o.npmPackageDir!);
    return { kind: 'npm', packageDir: o.npmPackageDir!, version, note: `${NPM_PACKAGE} ${version} (npm)` };
  }
  const system = SYSTEM_CHROMIUMS.find((p) => o.exists(p));
  if (system) return { kind: 'system', path: system, note: `system Chromium ${system}` };
  const npmWhy = !o.npmPackageDir
    ? `${NPM_PACKAGE} is not installed`
    : o.platform !== 'linux' || o.arch !== 'x64'
      ? `${NPM_PACKAGE} ships Linux x64 only (this is ${o.platform} ${o.arch})`
      : `${NPM_PACKAGE} has no bin/chromium.br`;
  return { kind: 'none', reason: `no Chromium: ${npmWhy} and none of ${SYSTEM_CHROMIUMS.join(', ')} exists` };
}

function readVersion(packageDir: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function installedNpmPackage(): string | null {
  const dir = path.join(ROOT, 'node_modules', ...NPM_PACKAGE.split('/'));
  return fs.existsSync(path.join(dir, 'package.json')) ? dir : null;
}

/** A regular file (a path bound over by /dev/null to hide a browser is not one). */
function isRegularFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** This machine's choice. */
export const CHROMIUM: ChromiumChoice = chooseChromium({
  env: process.env,
  platform: process.platform,
  arch: process.arch,
  exists: isRegularFile,
  npmPackageDir: installedNpmPackage(),
});

/** Why the browser suites skip here, or null when they run. With CI=true they never skip: a missing browser fails. */
export function skipReason(choice: ChromiumChoice, env: Readonly<Record<string, string | undefined>>): string | null {
  if (choice.kind !== 'none') return null;
  if (env['CI'] === 'true' || env['CI'] === '1') {
    throw new Error(`browser tests cannot run under CI: ${choice.reason}; ${HOW_TO_GET_ONE}`);
  }
  return `browser tests skipped: ${choice.reason}; ${HOW_TO_GET_ONE}`;
}

/** `describe` for a browser suite: skipped (with the reason in its name) when this machine has no browser. */
export function describeBrowser(name: string, body: () => void): void {
  const why = skipReason(CHROMIUM, process.env);
  // Skipped only where no browser can be had; the reason is in the suite name, and CI=true never gets here.
  if (why) describe.skip(`${name} — ${why}`, body);
  else describe(name, body);
}

const FONTS_CONF = 'gatecode-fonts.conf';

/** A fontconfig file for the npm-shipped browser: the system's fonts when it has any, and the package's Open Sans. */
function fontsConf(cache: string): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<fontconfig>',
    '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
    `  <dir>${path.join(cache, 'fonts', 'fonts')}</dir>`,
    `  <cachedir>${path.join(cache, 'fonts-cache')}</cachedir>`,
    '</fontconfig>',
    '',
  ].join('\n');
}

/**
 * Unpacks the npm-shipped Chromium into node_modules/.cache once and returns its folder: the binary `chromium`; in
 * al2023/lib, the few shared libraries it needs beyond glibc (NSS, NSPR, expat), which the package also ships; and a
 * font (fonts.conf above), so the browser runs and renders text on a machine that has none of these. The package unpacks into os.tmpdir(), so a child process does it with
 * TMPDIR set to a fresh folder, which is then renamed into place: concurrent test processes never see a
 * half-written browser, and the loser of a race drops its copy.
 */
export function unpackNpmChromium(choice: { packageDir: string; version: string }): string {
  const cache = path.join(ROOT, 'node_modules', '.cache', 'gatecode-chromium', choice.version);
  if (fs.existsSync(path.join(cache, 'chromium'))) return cache;
  fs.mkdirSync(path.dirname(cache), { recursive: true });
  const stage = fs.mkdtempSync(`${cache}.unpacking-`);
  try {
    const script =
      `const { default: C, inflate } = await import(${JSON.stringify(NPM_PACKAGE)}); ` +
      'const exe = await C.executablePath(); await inflate(process.argv[1]); process.stdout.write(exe);';
    const libs = path.join(choice.packageDir, 'bin', 'al2023.tar.br');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, libs], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: stage },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (out !== path.join(stage, 'chromium')) throw new Error(`${NPM_PACKAGE} unpacked to ${out}, not into ${stage}`);
    fs.writeFileSync(path.join(stage, FONTS_CONF), fontsConf(cache));
    try {
      fs.renameSync(stage, cache);
    } catch (e) {
      if (!fs.existsSync(path.join(cache, 'chromium'))) throw e; // else another process put its copy in place first
    }
    return cache;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

async function npmArgs(): Promise<string[]> {
  const { default: Sparticuz } = await import('@sparticuz/chromium');
  return Sparticuz.args.filter((a) => !NPM_DROPPED_ARGS.has(a));
}

/** playwright's launch() always creates a new temporary user-data dir and removes it on close. */
export async function launchChromium(): Promise<Browser> {
  const c = CHROMIUM;
  if (c.kind === 'none') throw new Error(`${c.reason}; ${HOW_TO_GET_ONE}`);
  if (c.kind === 'npm') {
    const dir = unpackNpmChromium(c);
    const libs = [path.join(dir, 'al2023', 'lib'), process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':');
    return chromium.launch({
      executablePath: path.join(dir, 'chromium'),
      args: await npmArgs(),
      headless: true,
      env: { ...process.env, LD_LIBRARY_PATH: libs, FONTCONFIG_FILE: path.join(dir, FONTS_CONF) },
    });
  }
  if (c.kind === 'env' && !fs.existsSync(c.path)) {
    throw new Error(`GATECODE_CHROMIUM=${c.path} does not exist; unset it to use the npm-shipped or system Chromium`);
  }
  return chromium.launch({ executablePath: c.path, args: CHROMIUM_ARGS, headless: true });
}

/** Where screenshots go when GATECODE_SCREENSHOTS names a directory (for looking at the pages by eye). */
export const SCREENSHOT_DIR = process.env['GATECODE_SCREENSHOTS'] ?? null;

/** The part of an HTMLImageElement the tests read (the project compiles without the DOM library). */
export interface ImageLike {
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  decode(): Promise<void>;
}
