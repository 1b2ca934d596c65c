// The relay goes to its safe level on every way out: spawned child processes, killed or crashing for real.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('../fixtures/safe-exit-child.ts', import.meta.url));
let dir = '';
let sysfs = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  // a Pi 4 on Bookworm: BCM 17 is sysfs 529
  sysfs = path.join(dir, 'sys');
  const chip = path.join(sysfs, 'class', 'gpio', 'gpiochip512');
  fs.mkdirSync(chip, { recursive: true });
  fs.writeFileSync(path.join(chip, 'label'), 'pinctrl-bcm2711\n');
  fs.writeFileSync(path.join(chip, 'base'), '512\n');
  fs.writeFileSync(path.join(chip, 'ngpio'), '58\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function runChild(mode: string, opts: { signal?: NodeJS.Signals; polarity?: string } = {}) {
  const record = path.join(dir, `record-${n++}.txt`);
  const p = spawn(process.execPath, ['--import', 'tsx', child, mode, sysfs, record, opts.polarity ?? 'active-high'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve) => {
    p.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) {
        if (opts.signal) p.kill(opts.signal);
        resolve();
      }
    });
    p.on('close', () => resolve());
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve([p.exitCode, p.signalCode]);
    else p.on('close', (c, s) => resolve([c, s]));
  });
  const lines = fs.readFileSync(record, 'utf8').trim().split('\n');
  return { code, signal, lines, stderr };
}

describe('installSafeExit', () => {
  it.each([
    ['SIGTERM', 'signal'],
    ['SIGINT', 'signal'],
    ['SIGHUP', 'signal'],
    ['SIGTERM', 'twice'],
  ] as const)('makes the relay safe on %s (%s) and still dies by that signal', async (signal, mode) => {
    const r = await runChild(mode, { signal });
    expect(r.signal).toBe(signal);
    // opened at the released level on the sysfs number of BCM 17 (Pi 4: 512 + 17), energised, released
    expect(r.lines[0]).toBe('open 529 low');
    expect(r.lines).toContain('write 529 1');
    expect(r.lines.at(-1)).toBe('write 529 0');
  });

  it('leaves the shutdown to the application when it handles the signal itself', async () => {
    const r = await runChild('handled-signal', { signal: 'SIGTERM' });
    expect(r.code).toBe(0);
    expect(r.signal).toBeNull();
    // safe at once on the signal (before the app's own handler runs), and again at exit
    const i = r.lines.indexOf('app handler');
    expect(r.lines[i - 1]).toBe('write 529 0');
    expect(r.lines.at(-1)).toBe('write 529 0');
  });

  it.each([
    ['throw', 'boom'],
    ['reject', 'unhandled'],
    ['pulse-throw', 'boom during pulse'],
  ])('makes the relay safe on an uncaught %s and still crashes', async (mode, message) => {
    const r = await runChild(mode);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.lines.at(-1)).toBe('write 529 0');
  });

  it('makes the relay safe on process.exit and on a natural end', async () => {
    const exit = await runChild('exit');
    expect(exit.code).toBe(3);
    expect(exit.lines.at(-1)).toBe('write 529 0');
    const natural = await runChild('natural');
    expect(natural.code).toBe(0);
    expect(natural.lines.at(-1)).toBe('write 529 0');
  });

  it('drives the high level for an active-low relay', async () => {
    const r = await runChild('signal', { signal: 'SIGTERM', polarity: 'active-low' });
    expect(r.lines[0]).toBe('open 529 high');
    expect(r.lines).toContain('write 529 0');
    expect(r.lines.at(-1)).toBe('write 529 1');
  });
});
