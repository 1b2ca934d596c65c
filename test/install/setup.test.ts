// `gatecode setup` as a real process against a temp root: the files it writes, the relay level they name, the
// marked config.txt block replaced (not duplicated) on a re-run, and the unit accepted by systemd-analyze. The first
// run of each command is a spawned process; the further cases run the same main() in process (test/support/cli.ts),
// without a tsx start each.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../hardware/camera/which.js';
import { gatecodeInProcess } from '../support/cli.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/gatecode.js');
const UNIT = 'etc/systemd/system/gatecode-device.service';
let dir: string;

function gatecode(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
}

/** `gatecode ARGS` in process, its result in spawnSync's shape. */
async function inProcess(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await gatecodeInProcess(args);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

function config(name: string, polarity: 'active-low' | 'active-high'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `site: hq\ngate: north-1\nrelay: { pin: 18, polarity: ${polarity} }\ninputs: { exit: { pin: 22 } }\n` +
      `statusPage: { enabled: true, tokenFile: /etc/gatecode/status-token }\nhardware: { rtc: ds3231 }\n`,
  );
  return file;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-setup-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('gatecode setup --root', { timeout: 60_000 }, () => {
  it('writes config, unit, boot block, accounts and token; an active-low relay is dh everywhere', () => {
    const root = path.join(dir, 'low');
    fs.mkdirSync(path.join(root, 'boot/firmware'), { recursive: true });
    fs.writeFileSync(path.join(root, 'boot/firmware/config.txt'), '[all]\ndtparam=audio=on\n');
    const r = gatecode(['setup', '--root', root, '--config', config('low.yaml', 'active-low')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const unit = fs.readFileSync(path.join(root, UNIT), 'utf8');
    const boot = fs.readFileSync(path.join(root, 'boot/firmware/config.txt'), 'utf8');
    expect(unit).toMatch(/^ExecStopPost=\+\/usr\/bin\/pinctrl set 18 op dh$/m);
    expect(boot).toMatch(/^gpio=18=op,dh$/m);
    expect(`${unit}\n${boot}`).not.toMatch(/op,?\s?dl/);
    expect(boot.startsWith('[all]\ndtparam=audio=on\n')).toBe(true);
    expect(boot).toContain('dtoverlay=i2c-rtc,ds3231');
    expect(boot).toContain('gpio=22=ip,pu');
    expect(fs.readFileSync(path.join(root, 'etc/gatecode/device.yaml'), 'utf8')).toContain('active-low');
    expect(fs.readFileSync(path.join(root, 'etc/gatecode/status-token'), 'utf8')).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect((fs.statSync(path.join(root, 'etc/gatecode/status-token')).mode & 0o777).toString(8)).toBe('640');
    expect(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toMatch(
      /^gatecode:x:\d+:\d+:.*:\/usr\/sbin\/nologin$/m,
    );
    const group = fs.readFileSync(path.join(root, 'etc/group'), 'utf8');
    for (const g of ['gpio', 'spi', 'video']) expect(group).toMatch(new RegExp(`^${g}:x:\\d+:gatecode$`, 'm'));
  });

  it('is idempotent: a second run changes nothing, the block stays single and the token is kept', async () => {
    const root = path.join(dir, 'low');
    const token = fs.readFileSync(path.join(root, 'etc/gatecode/status-token'), 'utf8');
    const r = await inProcess(['setup', '--root', root, '--config', config('low.yaml', 'active-low')]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/^changed/m);
    const boot = fs.readFileSync(path.join(root, 'boot/firmware/config.txt'), 'utf8');
    expect(boot.match(/# BEGIN gatecode/g)).toHaveLength(1);
    expect(fs.readFileSync(path.join(root, 'etc/gatecode/status-token'), 'utf8')).toBe(token);
    // Switching the board to active-high replaces the block's relay line, not adds one.
    const high = await inProcess(['setup', '--root', root, '--config', config('high.yaml', 'active-high')]);
    expect(high.status).toBe(0);
    const after = fs.readFileSync(path.join(root, 'boot/firmware/config.txt'), 'utf8');
    expect(after.match(/^gpio=18=op,d[hl]$/gm)).toEqual(['gpio=18=op,dl']);
    expect(fs.readFileSync(path.join(root, UNIT), 'utf8')).toMatch(
      /^ExecStopPost=\+\/usr\/bin\/pinctrl set 18 op dl$/m,
    );
  });

  it('puts the block under [all] when config.txt ends in a section for another board', async () => {
    // A Pi 4 B whose config.txt ends in a [cm4] section: without [all] the firmware would skip the whole block
    // (no SPI, and no relay level from power-on).
    const root = path.join(dir, 'section');
    fs.mkdirSync(path.join(root, 'boot/firmware'), { recursive: true });
    fs.writeFileSync(path.join(root, 'boot/firmware/config.txt'), 'arm_64bit=1\n[cm4]\notg_mode=1\n');
    expect((await inProcess(['setup', '--root', root, '--config', config('section.yaml', 'active-low')])).status).toBe(
      0,
    );
    const lines = fs.readFileSync(path.join(root, 'boot/firmware/config.txt'), 'utf8').split('\n');
    const relay = lines.indexOf('gpio=18=op,dh');
    const lastFilter = lines.slice(0, relay).findLastIndex((l) => l.startsWith('['));
    expect(lines[lastFilter]).toBe('[all]');
    expect(lastFilter).toBeGreaterThan(lines.indexOf('[cm4]'));
  });

  it('refuses a config whose paths would point elsewhere once copied to /etc/gatecode, writing nothing', async () => {
    const root = path.join(dir, 'relative');
    const cases: [string, RegExp][] = [
      ['dataDir: ./data\n', /dataDir is relative \(\/etc\/gatecode\/data once installed/],
      ['trust: { bundleFile: bundle.cose }\n', /trust\.bundleFile is relative/],
      ['mqtt: { url: mqtt://b, username: u, passwordFile: mqtt-password }\n', /mqtt\.passwordFile is relative/],
      ['dataDir: /opt/gate-data\n', /dataDir \/opt\/gate-data is not writable by the service/],
    ];
    for (const [n, [extra, message]] of cases.entries()) {
      const file = path.join(dir, `relative-${n}.yaml`);
      fs.writeFileSync(file, `site: hq\ngate: g1\n${extra}`);
      const r = await inProcess(['setup', '--root', root, '--config', file]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('write absolute paths');
      expect(fs.existsSync(root)).toBe(false);
    }
  });

  it('--dry-run writes nothing and prints the unit', async () => {
    const root = path.join(dir, 'dry');
    const r = await inProcess(['setup', '--root', root, '--dry-run', '--config', config('low.yaml', 'active-low')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^would change +systemd unit/m);
    expect(r.stdout).toContain('| ExecStopPost=+/usr/bin/pinctrl set 18 op dh');
    expect(fs.existsSync(root)).toBe(false);
  });

  it('refuses an invalid config with exit 2 and writes nothing', async () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'site: hq\ngate: g\ninputs: { exit: { pin: 9 } }\n');
    const root = path.join(dir, 'bad');
    const r = await inProcess(['setup', '--root', root, '--config', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/inputs\.exit\.pin: .*SPI0/);
    expect(fs.existsSync(root)).toBe(false);
  });

  it("device blank (the unit's ExecStopPost) has nothing to do without a ring and says why when SPI is not there", async () => {
    const sim = path.join(dir, 'sim.yaml');
    fs.writeFileSync(sim, 'site: hq\ngate: g\nhardware: { leds: sim }\n');
    const none = gatecode(['device', 'blank', '--config', sim]);
    expect(none.status).toBe(0);
    expect(none.stderr).toMatch(/no LED ring to blank/);
    // a ring configured as real whose SPI device cannot be opened here: a clear error, exit 1
    const real = path.join(dir, 'real.yaml');
    fs.writeFileSync(real, 'site: hq\ngate: g\nhardware: { leds: real }\nleds: { spiDevice: /dev/spidev9.9 }\n');
    const fail = await inProcess(['device', 'blank', '--config', real]);
    expect(fail.status).toBe(1);
    expect(fail.stderr).toMatch(/spidev9\.9|spi-device/);
  });

  // systemd-analyze is part of systemd; on a machine without it these two checks are skipped (said here).
  const analyze = findExecutable('systemd-analyze');
  it.skipIf(!analyze)('writes a unit that systemd-analyze verify accepts and that scores ≤ 3.0 on security', () => {
    const root = path.join(dir, 'low');
    // pinctrl exists only on a Pi: point the one Pi-only binary at one that exists here
    const text = fs.readFileSync(path.join(root, UNIT), 'utf8').replaceAll('/usr/bin/pinctrl', '/bin/true');
    const file = path.join(dir, 'gatecode-device.service');
    fs.writeFileSync(file, text);
    const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(v.stderr.trim()).toBe('');
    expect(v.status).toBe(0);
    const s = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', file], { encoding: 'utf8' });
    const score = /Overall exposure level for \S+: ([\d.]+)/.exec(s.stdout)?.[1];
    if (score === undefined) return; // this systemd has no --offline: nothing to measure
    expect(Number(score)).toBeLessThanOrEqual(3.0);
  });
});
