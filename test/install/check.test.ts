// gatecode check: every item against a temp root and fake probes (green where the parts are there, red where
// not, the relay level compared with the config), exit status by the worst item, and a real run here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../device/config.js';
import { runChecks, worst } from '../../device/install/check.js';
import type { CheckProbes, StoreReport } from '../../device/install/check.js';
import { DEFAULT_PATHS } from '../../device/install/derive.js';
import { runSetup } from '../../device/install/setup.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/gatecode.js');
const NOW = 1_800_000_000;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-check-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const configText = 'site: hq\ngate: g1\nrelay: { pin: 17, polarity: active-low }\nhardware: { rtc: ds3231 }\n';
const config = parseConfig({
  site: 'hq',
  gate: 'g1',
  relay: { pin: 17, polarity: 'active-low' },
  hardware: { rtc: 'ds3231' },
});

/** A Pi's files under a temp root: what setup writes, plus the device nodes and sysfs entries of a Pi 4. */
function piRoot(name: string): string {
  const root = path.join(dir, name);
  fs.mkdirSync(path.join(root, 'boot/firmware'), { recursive: true });
  fs.mkdirSync(path.join(root, 'proc/device-tree'), { recursive: true });
  fs.writeFileSync(path.join(root, 'proc/device-tree/model'), 'Raspberry Pi 4 Model B Rev 1.5\0');
  runSetup({ config, configText, root, dryRun: false });
  fs.mkdirSync(path.join(root, 'dev'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dev/spidev0.0'), '');
  const chip = path.join(root, 'sys/class/gpio/gpiochip512');
  fs.mkdirSync(chip, { recursive: true });
  fs.writeFileSync(path.join(chip, 'label'), 'pinctrl-bcm2711\n');
  fs.writeFileSync(path.join(chip, 'base'), '512\n');
  fs.mkdirSync(path.join(root, 'sys/class/rtc/rtc0'), { recursive: true });
  return root;
}

const goodStore: StoreReport = {
  integrity: 'ok',
  bundle: { sunset: NOW + 90 * 86_400, maxOfflineAgeSeconds: 86_400 },
  trustDataAt: NOW - 600,
  serverUrl: 'https://gate.example',
};

function probes(root: string, over: Partial<CheckProbes> = {}): CheckProbes {
  return {
    root,
    nodeVersion: 'v20.19.0',
    nowSeconds: NOW,
    which: (n) => (n === 'rpicam-vid' ? '/usr/bin/rpicam-vid' : null),
    ntpSynchronized: () => true,
    diskFreeBytes: () => 4 * 2 ** 30,
    grabFrame: () => Promise.resolve({ ok: true, stride: 640, width: 640, height: 480 }),
    readStore: () => goodStore,
    reachable: () => Promise.resolve(null),
    board: () => 'pi4',
    ...over,
  };
}

describe('gatecode check items', () => {
  it('is all green on a set-up Pi with its parts', async () => {
    const items = await runChecks(config, probes(piRoot('good')));
    expect(items.filter((i) => i.level !== 'green')).toEqual([]);
    expect(items.map((i) => i.id)).toEqual([
      'node',
      'camera',
      'groups',
      'frame',
      'spi',
      'spidev.bufsiz',
      'gpio',
      'boot lines',
      'unit',
      'time',
      'disk',
      'store',
      'trust data',
      'server',
    ]);
    expect(worst(items)).toBe('green');
  });

  it('is red where hardware is missing and where the relay level contradicts the config', async () => {
    const root = piRoot('bad');
    fs.rmSync(path.join(root, 'dev/spidev0.0'));
    fs.rmSync(path.join(root, 'sys/class/gpio'), { recursive: true });
    const boot = path.join(root, 'boot/firmware/config.txt');
    fs.writeFileSync(boot, fs.readFileSync(boot, 'utf8').replace('gpio=17=op,dh', 'gpio=17=op,dl'));
    const items = await runChecks(
      config,
      probes(root, {
        nodeVersion: 'v18.19.0',
        which: () => null,
        reachable: () => Promise.resolve('connection refused'),
        readStore: () => ({ ...goodStore, trustDataAt: NOW - 3 * 86_400 }),
      }),
    );
    const level = Object.fromEntries(items.map((i) => [i.id, i.level]));
    expect(level).toMatchObject({
      node: 'red',
      camera: 'red',
      frame: 'red',
      spi: 'red',
      gpio: 'red',
      'boot lines': 'red',
      unit: 'green',
      'trust data': 'yellow',
      server: 'red',
    });
    expect(items.find((i) => i.id === 'boot lines')?.detail).toMatch(/active-low → dh.*gpio=17=op,dl/);
    expect(worst(items)).toBe('red');
  });

  it('reads the unit drop-ins: one that clears or replaces the stop steps is red, any other is yellow', async () => {
    const cases = [
      ['ExecStopPost=', 'red', /drop-in .*override\.conf sets 'ExecStopPost='/],
      ['[Service]\nRestart=no', 'red', /sets 'Restart=no'/],
      ['[Service]\nEnvironment=TZ=UTC', 'yellow', /drop-ins also apply: .*override\.conf/],
    ] as const;
    for (const [n, [text, level, detail]] of cases.entries()) {
      const root = piRoot(`dropin-${n}`);
      const dir = path.join(root, 'etc/systemd/system/gatecode-device.service.d');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'override.conf'), text + '\n');
      const item = (await runChecks(config, probes(root))).find((i) => i.id === 'unit');
      expect(item?.level).toBe(level);
      expect(item?.detail).toMatch(detail);
    }
  });

  it('is red when a config.txt line outside the block also sets the relay pin (the later line wins at boot)', async () => {
    for (const [n, line] of ['gpio=17=op,dl', 'gpio=16-18=op,dl', 'gpio=4,17=op,dl'].entries()) {
      const root = piRoot(`stray-${n}`);
      const boot = path.join(root, 'boot/firmware/config.txt');
      fs.appendFileSync(boot, `\n# relay held safe (old guide)\n${line}\n`);
      const items = await runChecks(config, probes(root));
      const item = items.find((i) => i.id === 'boot lines');
      expect(item?.level).toBe('red');
      expect(item?.detail).toContain(line);
    }
    // a line for another pin, and a commented-out one, are not the relay's
    const root = piRoot('stray-other');
    fs.appendFileSync(path.join(root, 'boot/firmware/config.txt'), '\ngpio=5=op,dl\n#gpio=17=op,dl\n');
    expect((await runChecks(config, probes(root))).find((i) => i.id === 'boot lines')?.level).toBe('green');
  });

  it('flags an unset time source yellow and a small spidev buffer red', async () => {
    const root = piRoot('time');
    fs.rmSync(path.join(root, 'sys/class/rtc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'sys/module/spidev/parameters'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sys/module/spidev/parameters/bufsiz'), '2048\n');
    const big = parseConfig({ ...config, zone: undefined, leds: { count: 300 } });
    const items = await runChecks(big, probes(root, { ntpSynchronized: () => false }));
    expect(items.find((i) => i.id === 'time')).toMatchObject({ level: 'yellow' });
    expect(items.find((i) => i.id === 'spidev.bufsiz')?.detail).toMatch(/add spidev\.bufsiz=\d+ to cmdline\.txt/);
  });
});

describe('gatecode check as a process on this machine', { timeout: 60_000 }, () => {
  it('reports each item, red where the Pi hardware is missing, exit 3 by the worst; --json parses', () => {
    const file = path.join(dir, 'device.yaml');
    fs.writeFileSync(file, `${configText}dataDir: ${path.join(dir, 'data')}\n`);
    const env = { ...process.env, PATH: path.dirname(process.execPath) }; // no rpicam-vid on PATH
    const text = spawnSync(process.execPath, [BIN, 'check', '--config', file, '--root', path.join(dir, 'empty')], {
      encoding: 'utf8',
      env,
    });
    expect(text.status).toBe(3);
    expect(text.stdout).toMatch(/^red +camera +rpicam-vid not found/m);
    expect(text.stdout).toMatch(/^red +spi /m);
    expect(text.stdout).toMatch(/^red +boot lines +no gatecode block/m);
    const json = spawnSync(
      process.execPath,
      [BIN, 'check', '--json', '--config', file, '--root', path.join(dir, 'empty')],
      { encoding: 'utf8', env },
    );
    expect(json.status).toBe(3);
    const parsed = JSON.parse(json.stdout) as { worst: string; items: { id: string; level: string }[] };
    expect(parsed.worst).toBe('red');
    expect(parsed.items.find((i) => i.id === 'node')?.level).toBe('green');
    expect(DEFAULT_PATHS.user).toBe('gatecode');
  });
});
