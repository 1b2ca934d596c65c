// The device config: one schema, defaults, strictness, every problem reported at once, YAML and JSON, the mapping
// onto the hardware factory, and the example in docs/device-config.md.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  bootConfigLines,
  CONFIG_VERSION,
  ConfigError,
  loadConfig,
  parseConfig,
  toHardwareConfig,
} from '../../device/config.js';
import type { ConfigIssue } from '../../device/config.js';
import { tempDir } from './store/helpers.js';
import type { TempDir } from './store/helpers.js';

const FULL = path.join(import.meta.dirname, 'fixtures', 'device-config.full.yaml');
const DOC = path.join(import.meta.dirname, '..', '..', 'docs', 'device-config.md');

let tmp: TempDir;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('fills in every default from site and gate alone', () => {
    const c = parseConfig({ site: 'hq', gate: 'g1' });
    expect(c.direction).toBe('entry');
    expect(c.zone).toBe('hq');
    expect(c.relay).toEqual({ pin: 17, polarity: 'active-high', mode: 'pulse', pulseMs: 800, holdMs: 8000 });
    expect(c.inputs).toEqual({});
    expect(c.door).toEqual({ heldOpenSeconds: 30, forcedOpenAlarm: true, grantWindowSeconds: 10 });
    expect(c.antiPassback).toEqual({ enabled: true, windowSeconds: 3600 });
    expect(c.leds).toMatchObject({
      count: 12,
      brightness: 0.3,
      order: 'GRB',
      spiDevice: '/dev/spidev0.0',
      speedHz: 2_400_000,
    });
    expect(c.camera).toMatchObject({
      source: 'auto',
      width: 640,
      height: 480,
      framerate: 15,
      focus: { mode: 'manual', lensPosition: 3 },
      ev: -1,
    });
    expect(c.decoder).toEqual({ engine: 'zxing', worker: true });
    expect(c.hardware).toEqual({ gpio: 'auto', leds: 'auto', buzzer: 'auto', rtc: 'none' });
    expect(c.dataDir).toBe('/var/lib/gatecode');
    expect(c.retentionHours).toBe(24);
    expect(c.statusPage).toEqual({ enabled: false, host: '127.0.0.1', port: 8080 });
    expect(c.sync.pollIntervalSeconds).toBe(30);
    expect(c.trust).toEqual({});
    expect(c.clockSkewSeconds).toBe(300);
  });

  it('fills an input’s defaults from its pin alone', () => {
    const c = parseConfig({ site: 'hq', gate: 'g1', inputs: { door: { pin: 27 }, exit: { pin: 22 } } });
    expect(c.inputs.door).toEqual({ pin: 27, polarity: 'active-high', pull: 'up', debounceMs: 40 });
    expect(c.inputs.exit).toEqual({ pin: 22, polarity: 'active-low', pull: 'up', debounceMs: 40 });
  });

  it('reports unknown keys at any depth, one line each', () => {
    const issues = issuesOf(() =>
      parseConfig({ site: 'hq', gate: 'g1', sitee: 'x', relay: { pinn: 4, pulse: 1 }, leds: { showMs: { blue: 1 } } }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'sitee', message: 'unknown key' },
        { path: 'relay.pinn', message: 'unknown key' },
        { path: 'relay.pulse', message: 'unknown key' },
        { path: 'leds.showMs.blue', message: 'unknown key' },
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('reports every failing path at once', () => {
    const bad = {
      gate: 'has spaces',
      direction: 'sideways',
      relay: { pin: 40 },
      inputs: { door: { pin: 27, debounceMs: 10 } },
      leds: { brightness: 2, speedHz: 1_000_000 },
      policy: { yellow: 'open' },
      camera: { focus: { mode: 'manual' } },
      decoder: { strategies: ['plain', 'magic'], escalateEvery: 0 },
      retentionHours: 0,
    };
    const issues = issuesOf(() => parseConfig(bad));
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        'site',
        'gate',
        'direction',
        'relay.pin',
        'inputs.door.debounceMs',
        'leds.brightness',
        'leds.speedHz',
        'policy.yellow',
        'camera.focus.lensPosition',
        'decoder.strategies[1]',
        'decoder.escalateEvery',
        'retentionHours',
      ].sort(),
    );
    const err = (() => {
      try {
        parseConfig(bad);
      } catch (e) {
        return e as ConfigError;
      }
      return null;
    })();
    expect(err?.code).toBe('INVALID_CONFIG');
    expect(err?.message).toContain('relay.pin:');
    expect(err?.message).toContain('inputs.door.debounceMs:');
  });

  it('accepts local policy only stricter than any bundle: never open', () => {
    expect(parseConfig({ site: 'hq', gate: 'g1', policy: { yellow: 'deny', green: 'attention' } }).policy).toEqual({
      yellow: 'deny',
      green: 'attention',
    });
    expect(issuesOf(() => parseConfig({ site: 'hq', gate: 'g1', policy: { green: 'open' } }))[0]?.path).toBe(
      'policy.green',
    );
    expect(issuesOf(() => parseConfig({ site: 'hq', gate: 'g1', policy: { red: 'deny' } }))[0]?.path).toBe(
      'policy.red',
    );
  });

  it('checks the fields that depend on each other', () => {
    const base = { site: 'hq', gate: 'g1' };
    const paths = (input: object): string[] => issuesOf(() => parseConfig({ ...base, ...input })).map((i) => i.path);
    expect(paths({ camera: { source: 'replay' } })).toEqual(['camera.replay.files']);
    expect(paths({ antiPassback: { windowSeconds: 48 * 3600 } })).toEqual(['antiPassback.windowSeconds']);
    expect(paths({ inputs: { door: { pin: 17 } } })).toEqual(['inputs.door.pin']);
    expect(paths({ inputs: { exit: { pin: 10 } } })).toEqual(['inputs.exit.pin']);
    expect(paths({ relay: { pin: 4 } })).toEqual(['relay.pin']);
    expect(parseConfig({ ...base, relay: { pin: 4, polarity: 'active-low' } }).relay.pin).toBe(4);
  });

  it('returns a frozen config', () => {
    const c = parseConfig({ site: 'hq', gate: 'g1' });
    expect(Object.isFrozen(c.relay)).toBe(true);
  });
});

describe('loadConfig', () => {
  it('reads a full YAML file and resolves relative paths against its folder', () => {
    const c = loadConfig(FULL);
    const dir = path.dirname(FULL);
    expect(c.site).toBe('hq');
    expect(c.relay).toEqual({ pin: 17, polarity: 'active-low', mode: 'hold', pulseMs: 500, holdMs: 6000 });
    expect(c.inputs.rotation).toEqual({ pin: 23, polarity: 'active-low', pull: 'down', debounceMs: 40 });
    expect(c.camera.focus).toEqual({ mode: 'manual', lensPosition: 4.5 });
    expect(c.camera.replay.files).toEqual([path.join(dir, 'frames/a.png'), '/abs/b.png']);
    expect(c.dataDir).toBe(path.join(dir, 'data'));
    expect(c.statusPage.tokenFile).toBe(path.join(dir, 'secrets/status-token'));
    expect(c.mqtt).toMatchObject({
      url: 'mqtts://broker.lan:8883',
      passwordFile: path.join(dir, 'secrets/mqtt-password'),
      caFile: path.join(dir, 'secrets/mqtt-ca.pem'),
      keyFile: '/etc/gatecode/mqtt-client.key',
      topicPrefix: 'site/hq/gates/north-1',
      discoveryPrefix: 'ha',
      qos: 0,
      retain: false,
    });
    expect(c.trust.bundleFile).toBe(path.join(dir, 'trust/bundle.cose'));
    expect(c.decoder).toEqual({ engine: 'jsqr', strategies: ['plain', 'upscale-2x'], worker: false, budgetMs: 100 });
    expect(c.sync.jitter).toBe(0.1);
  });

  it('reads the same config from JSON', () => {
    const json = path.join(tmp.dir, 'device.json');
    fs.writeFileSync(json, JSON.stringify(parseYaml(fs.readFileSync(FULL, 'utf8'))));
    fs.copyFileSync(FULL, path.join(tmp.dir, 'device.yaml'));
    expect(loadConfig(json)).toEqual(loadConfig(path.join(tmp.dir, 'device.yaml')));
  });

  it('reports an unreadable file, bad syntax and duplicate keys as ConfigError', () => {
    expect(issuesOf(() => loadConfig(path.join(tmp.dir, 'missing.yaml')))).toEqual([
      { path: '(file)', message: 'cannot read the file (ENOENT)' },
    ]);
    fs.writeFileSync(path.join(tmp.dir, 'bad.json'), '{ "site": "hq", }');
    expect(issuesOf(() => loadConfig(path.join(tmp.dir, 'bad.json')))[0]?.message).toMatch(/^not valid JSON/);
    fs.writeFileSync(path.join(tmp.dir, 'dup.yaml'), 'site: hq\nsite: other\ngate: g\n');
    expect(issuesOf(() => loadConfig(path.join(tmp.dir, 'dup.yaml')))[0]?.message).toMatch(/^not valid YAML/);
  });

  it('reads a version 1 file (no version key) as version 2 and says how to migrate; refuses a newer version', () => {
    const old = path.join(tmp.dir, 'old.yaml');
    fs.writeFileSync(old, 'site: hq\ngate: g1\nrelay:\n  pin: 22\n');
    const notes: string[] = [];
    const c = loadConfig(old, { onMigrate: (m) => notes.push(m) });
    expect(c).toMatchObject({ version: CONFIG_VERSION, site: 'hq', relay: { pin: 22 } });
    expect(notes).toEqual([expect.stringContaining(`add \`version: ${CONFIG_VERSION}\``)]);
    const current = path.join(tmp.dir, 'current.yaml');
    fs.writeFileSync(current, `version: ${CONFIG_VERSION}\nsite: hq\ngate: g1\nrelay:\n  pin: 22\n`);
    const quiet: string[] = [];
    expect(loadConfig(current, { onMigrate: (m) => quiet.push(m) })).toEqual(c);
    expect(quiet).toEqual([]);
    fs.writeFileSync(current, `version: ${CONFIG_VERSION + 1}\nsite: hq\ngate: g1\n`);
    expect(issuesOf(() => loadConfig(current))).toEqual([
      { path: 'version', message: expect.stringMatching(/newer than this gatecode reads.*update gatecode/) },
    ]);
    expect(issuesOf(() => parseConfig({ version: 'two', site: 'hq', gate: 'g1' }))[0]?.path).toBe('version');
  });

  it('parses the example in docs/device-config.md', () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const file = path.join(tmp.dir, 'example.yaml');
    fs.writeFileSync(file, block ?? '');
    expect(loadConfig(file).site).toBeTruthy();
  });
});

describe('toHardwareConfig and bootConfigLines', () => {
  it('maps pins, camera, LEDs and backends for the hardware factory', () => {
    const hw = toHardwareConfig(loadConfig(FULL));
    expect(hw.gpio).toEqual({
      mode: 'sim',
      relay: { pin: 17, polarity: 'active-low' },
      door: { pin: 27, polarity: 'active-high', debounceMs: 30 },
      exit: { pin: 22, polarity: 'active-low', debounceMs: 50 },
      rotation: { pin: 23, polarity: 'active-low', debounceMs: 40 },
      fire: null,
      lockdown: null,
      tamper: null,
    });
    expect(hw.leds).toMatchObject({
      mode: 'real',
      count: 16,
      spiBus: 0,
      spiDevice: 1,
      bitsPerBit: 4,
      order: 'RGB',
      brightness: 0.2,
    });
    expect(hw.camera).toMatchObject({
      mode: 'replay',
      framerate: 30,
      shutterUs: 8000,
      replay: { fps: 10, loop: false },
    });
    const minimal = toHardwareConfig(parseConfig({ site: 'hq', gate: 'g1', camera: { source: 'usb' } }));
    expect(minimal.gpio?.door).toBeNull();
    expect(minimal.gpio?.exit).toBeNull();
    expect(minimal.camera).toMatchObject({ mode: 'real', source: 'usb' });
    expect(minimal.leds).toMatchObject({ bitsPerBit: 3, spiBus: 0, spiDevice: 0, gamma: 2.2, maxCurrentMa: 500 });
  });

  it('gives the config.txt lines: SPI, the relay held safe from power-on, the input pulls', () => {
    expect(bootConfigLines(loadConfig(FULL))).toEqual([
      '[all]',
      'dtparam=spi=on',
      'gpio=17=op,dh',
      'gpio=27=ip,pu',
      'gpio=22=ip,pu',
      'gpio=23=ip,pd',
    ]);
    expect(bootConfigLines(parseConfig({ site: 'hq', gate: 'g1' }))).toEqual([
      '[all]',
      'dtparam=spi=on',
      'gpio=17=op,dl',
      'camera_auto_detect=1',
    ]);
  });
});
