// `gatecode check` (doctor): one line per item, green / yellow / red, for everything an installed gate needs.
// Every look at the machine goes through CheckProbes (file reads under a root, executables, the clock, the
// network, a camera frame), so tests run the whole list against temp trees and fakes.
import fs from 'node:fs';
import path from 'node:path';
import { createWs2812Encoder } from '../../hardware/leds/ws2812.js';
import type { DeviceConfig } from '../config/schema.js';
import { BOOT_BLOCK_BEGIN, BOOT_BLOCK_END, DEFAULT_PATHS, derive, relaySafeLevel } from './derive.js';
import type { Board, InstallPaths } from './derive.js';

export type Level = 'green' | 'yellow' | 'red';

export interface CheckItem {
  readonly id: string;
  readonly level: Level;
  readonly detail: string;
}

/** What a frame grab reports: a frame (with the stride used) or the camera's typed error. */
export type FrameGrab =
  | { readonly ok: true; readonly stride: number; readonly width: number; readonly height: number }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** What the store holds, read by the caller (null: no store file yet). */
export interface StoreReport {
  readonly integrity: string;
  readonly bundle: { readonly sunset: number; readonly maxOfflineAgeSeconds: number } | null;
  readonly trustDataAt: number | null;
  readonly serverUrl: string | null;
}

export interface CheckProbes {
  readonly root: string;
  readonly nodeVersion: string;
  readonly nowSeconds: number;
  which(name: string): string | null;
  ntpSynchronized(): boolean | null;
  diskFreeBytes(dir: string): number | null;
  grabFrame(config: DeviceConfig): Promise<FrameGrab>;
  readStore(config: DeviceConfig): StoreReport | null;
  reachable(url: string): Promise<string | null>;
  board(): Board;
  /** Connect to the configured MQTT broker once: null when it accepted, else why not. */
  mqttBroker?(config: DeviceConfig): Promise<string | null>;
}

const read = (file: string): string | null => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

function nodeItem(version: string): CheckItem {
  const [maj = 0, min = 0] = version.replace(/^v/, '').split('.').map(Number);
  const ok = (maj === 20 && min >= 9) || maj >= 22;
  return ok
    ? { id: 'node', level: 'green', detail: `Node ${version}` }
    : { id: 'node', level: 'red', detail: `Node ${version}: needs 20.9+ or 22+ (see INSTALL.md, "Node")` };
}

function cameraBinary(config: DeviceConfig, p: CheckProbes): CheckItem {
  const src = config.camera.source;
  if (src === 'sim' || src === 'replay') return { id: 'camera', level: 'green', detail: `camera.source: ${src}` };
  const bin = src === 'usb' ? p.which('ffmpeg') : (p.which('rpicam-vid') ?? p.which('libcamera-vid'));
  if (bin) return { id: 'camera', level: 'green', detail: bin };
  return {
    id: 'camera',
    level: 'red',
    detail:
      src === 'usb'
        ? 'ffmpeg not found: sudo apt install ffmpeg'
        : 'rpicam-vid not found: sudo apt install rpicam-apps-lite',
  };
}

function groupsItem(p: CheckProbes, user: string, groups: readonly string[]): CheckItem {
  const text = read(path.join(p.root, 'etc/group'));
  if (text === null) return { id: 'groups', level: 'red', detail: 'cannot read /etc/group' };
  const missing = groups.filter((g) => {
    const row = text.split('\n').find((l) => l.split(':')[0] === g);
    return !(row?.split(':')[3] ?? '').split(',').includes(user);
  });
  return missing.length === 0
    ? { id: 'groups', level: 'green', detail: `${user} is in ${groups.join(', ')}` }
    : { id: 'groups', level: 'red', detail: `${user} is not in ${missing.join(', ')}: run gatecode setup` };
}

function frameItem(grab: FrameGrab): CheckItem {
  if (grab.ok)
    return { id: 'frame', level: 'green', detail: `${grab.width}x${grab.height} frame, stride ${grab.stride}` };
  return { id: 'frame', level: 'red', detail: `${grab.code}: ${grab.message}` };
}

function spiItems(config: DeviceConfig, p: CheckProbes): CheckItem[] {
  if (config.hardware.leds === 'sim') return [{ id: 'spi', level: 'green', detail: 'hardware.leds: sim' }];
  const dev = path.join(p.root, config.leds.spiDevice);
  if (!fs.existsSync(dev)) {
    return [
      { id: 'spi', level: 'red', detail: `${config.leds.spiDevice} missing: dtparam=spi=on (gatecode setup), reboot` },
    ];
  }
  const bitsPerBit = config.leds.speedHz === 3_200_000 ? 4 : 3;
  // one frame as the driver sends it: the data and the reset gaps
  const need = createWs2812Encoder({ bitsPerBit, spiHz: config.leds.speedHz }).encode(
    Array.from({ length: config.leds.count }, () => [0, 0, 0] as const),
  ).length;
  const bufsiz = Number(read(path.join(p.root, 'sys/module/spidev/parameters/bufsiz'))?.trim() ?? 4096);
  const buf: CheckItem =
    bufsiz >= need
      ? { id: 'spidev.bufsiz', level: 'green', detail: `${bufsiz} bytes ≥ ${need} for ${config.leds.count} LEDs` }
      : { id: 'spidev.bufsiz', level: 'red', detail: `${bufsiz} < ${need}: add spidev.bufsiz=${need} to cmdline.txt` };
  return [{ id: 'spi', level: 'green', detail: config.leds.spiDevice }, buf];
}

function gpioItem(config: DeviceConfig, p: CheckProbes): CheckItem {
  if (config.hardware.gpio === 'sim') return { id: 'gpio', level: 'green', detail: 'hardware.gpio: sim' };
  const dir = path.join(p.root, 'sys/class/gpio');
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith('gpiochip'));
  } catch {
    // no sysfs GPIO
  }
  for (const n of names) {
    const label = read(path.join(dir, n, 'label'))?.trim();
    if (label && /^pinctrl-(bcm2835|bcm2711|rp1)$/.test(label)) {
      return { id: 'gpio', level: 'green', detail: `${label}, base ${read(path.join(dir, n, 'base'))?.trim() ?? '?'}` };
    }
  }
  return { id: 'gpio', level: 'red', detail: 'no Raspberry Pi GPIO chip under /sys/class/gpio' };
}

/** Whether a config.txt line is a `gpio=` setting whose pin list (`17`, `4,17`, `16-18`) includes `pin`. */
export function gpioLineCovers(line: string, pin: number): boolean {
  const m = /^\s*gpio=([\d,\s-]+)=/.exec(line);
  if (!m) return false;
  return (m[1] as string).split(',').some((part) => {
    const [lo, hi] = part.split('-').map((x) => Number(x.trim()));
    if (lo === undefined || !Number.isInteger(lo)) return false;
    return hi === undefined ? lo === pin : Number.isInteger(hi) && lo <= pin && pin <= hi;
  });
}

/** The relay's safe level as the config derives it, against the boot block and the unit installed. */
function relayItems(config: DeviceConfig, p: CheckProbes, paths: InstallPaths): CheckItem[] {
  const d = derive(config, { board: p.board(), paths });
  const level = relaySafeLevel(config.relay.polarity);
  const want = `relay BCM ${config.relay.pin} ${config.relay.polarity} → ${level}`;
  const bootText =
    read(path.join(p.root, 'boot/firmware/config.txt')) ?? read(path.join(p.root, 'boot/config.txt')) ?? '';
  const lines = bootText.split('\n');
  const b = lines.indexOf(BOOT_BLOCK_BEGIN);
  const e = lines.indexOf(BOOT_BLOCK_END, b + 1);
  const block = b >= 0 && e > b ? lines.slice(b + 1, e) : null;
  // The firmware applies config.txt in order and a later gpio= line for the same pin wins: a line outside the block
  // (e.g. one written by hand from an older guide) can drive the relay energised from power-on.
  const stray = lines.find((l, i) => (block === null || i < b || i > e) && gpioLineCovers(l, config.relay.pin));
  const boot: CheckItem =
    block === null
      ? { id: 'boot lines', level: 'red', detail: 'no gatecode block in config.txt: run gatecode setup' }
      : stray !== undefined
        ? {
            id: 'boot lines',
            level: 'red',
            detail: `config.txt line '${stray.trim()}' outside the gatecode block also sets the relay pin ${config.relay.pin} (${want}): remove it, reboot`,
          }
        : block.join('\n') === d.bootBlock.join('\n')
          ? { id: 'boot lines', level: 'green', detail: want }
          : {
              id: 'boot lines',
              level: 'red',
              detail: `config.txt block differs from the config (${want}${block.find((l) => /^gpio=\d+=op,/.test(l)) ? `, block says ${block.find((l) => /^gpio=\d+=op,/.test(l))}` : ''}): run gatecode setup, reboot`,
            };
  const unitText = read(path.join(p.root, 'etc/systemd/system/gatecode-device.service'));
  const stopLine = `ExecStopPost=+${paths.pinctrl} set ${config.relay.pin} op ${level}`;
  const unit: CheckItem =
    unitText === null
      ? { id: 'unit', level: 'red', detail: 'no gatecode-device.service: run gatecode setup' }
      : unitText.split('\n').includes(stopLine)
        ? {
            id: 'unit',
            level: unitText === d.unit ? 'green' : 'yellow',
            detail: unitText === d.unit ? want : `${want}; other lines differ from setup's: run gatecode setup`,
          }
        : {
            id: 'unit',
            level: 'red',
            detail: `unit does not release the relay at ${level} (${want}): run gatecode setup`,
          };
  return [boot, unitWithDropIns(unit, p.root)];
}

/** Keys a drop-in may not touch: they carry the relay's stop state, the fire step and the restart rules. */
const GUARDED_KEYS = /^\s*(ExecStopPost|ExecStart|ExecStartPre|User|Restart|RestartPreventExitStatus|KillMode)\s*=/;

/**
 * systemd merges `gatecode-device.service.d/*.conf` over the unit, and an empty `ExecStopPost=` there clears the
 * stop steps setup wrote: a unit file that reads right can still stop with the relay left energised.
 */
function unitWithDropIns(unit: CheckItem, root: string): CheckItem {
  const dirs = ['etc/systemd/system/gatecode-device.service.d', 'run/systemd/system/gatecode-device.service.d'];
  const found: { file: string; guarded: string | undefined }[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith('.conf'));
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      const text = read(path.join(root, dir, n)) ?? '';
      found.push({ file: `/${dir}/${n}`, guarded: text.split('\n').find((l) => GUARDED_KEYS.test(l))?.trim() });
    }
  }
  if (found.length === 0 || unit.level === 'red') return unit;
  const bad = found.find((f) => f.guarded !== undefined);
  if (bad !== undefined) {
    return {
      id: 'unit',
      level: 'red',
      detail: `drop-in ${bad.file} sets '${bad.guarded}', which overrides the stop and restart steps setup derived: remove it, systemctl daemon-reload`,
    };
  }
  return {
    id: 'unit',
    level: unit.level === 'green' ? 'yellow' : unit.level,
    detail: `${unit.detail}; drop-ins also apply: ${found.map((f) => f.file).join(', ')}`,
  };
}

function timeItem(config: DeviceConfig, p: CheckProbes, store: StoreReport | null): CheckItem {
  const signed = store?.trustDataAt ?? null;
  const last = signed === null ? 'no signed time held' : `last signed time ${new Date(signed * 1000).toISOString()}`;
  if (config.clockTrust === 'host')
    return { id: 'time', level: 'yellow', detail: `clockTrust: host (not for a gate); ${last}` };
  if (p.ntpSynchronized() === true) return { id: 'time', level: 'green', detail: `NTP synchronised; ${last}` };
  const rtc = fs.existsSync(path.join(p.root, 'sys/class/rtc/rtc0'));
  if (config.hardware.rtc !== 'none' && rtc)
    return { id: 'time', level: 'green', detail: `RTC (${config.hardware.rtc}); ${last}` };
  return {
    id: 'time',
    level: 'yellow',
    detail: `no NTP${config.hardware.rtc !== 'none' ? ', RTC configured but /sys/class/rtc/rtc0 missing' : ', no RTC'}: greens show yellow until a signed time confirms the clock; ${last}`,
  };
}

function diskItem(config: DeviceConfig, p: CheckProbes): CheckItem {
  const free = p.diskFreeBytes(path.join(p.root, config.dataDir));
  if (free === null) return { id: 'disk', level: 'red', detail: `cannot read free space at ${config.dataDir}` };
  const mib = Math.round(free / 2 ** 20);
  const level: Level = mib >= 200 ? 'green' : mib >= 50 ? 'yellow' : 'red';
  return { id: 'disk', level, detail: `${mib} MiB free at ${config.dataDir}` };
}

function storeItems(store: StoreReport | null, nowSeconds: number): CheckItem[] {
  if (store === null) {
    return [
      { id: 'store', level: 'yellow', detail: 'no store yet (created at the first start)' },
      {
        id: 'trust data',
        level: 'red',
        detail: 'no trust data: enrol (gatecode setup --code) or set trust.bundleFile',
      },
    ];
  }
  const integrity: CheckItem =
    store.integrity === 'ok'
      ? { id: 'store', level: 'green', detail: 'integrity ok' }
      : { id: 'store', level: 'red', detail: `integrity check: ${store.integrity}` };
  const b = store.bundle;
  let trust: CheckItem;
  if (b === null)
    trust = { id: 'trust data', level: 'red', detail: 'no trust bundle held: enrol or set trust.bundleFile' };
  else if (nowSeconds >= b.sunset)
    trust = { id: 'trust data', level: 'red', detail: 'sunset passed: every pass is refused' };
  else {
    const age = store.trustDataAt === null ? Infinity : nowSeconds - store.trustDataAt;
    const days = Math.floor((b.sunset - nowSeconds) / 86_400);
    const stale = age > b.maxOfflineAgeSeconds;
    trust = {
      id: 'trust data',
      level: stale || days < 14 ? 'yellow' : 'green',
      detail: `${Number.isFinite(age) ? `${Math.round(age / 60)} min old` : 'age unknown'} (max ${Math.round(b.maxOfflineAgeSeconds / 60)} min)${stale ? ', STALE' : ''}; sunset in ${days} days`,
    };
  }
  return [integrity, trust];
}

async function serverItem(store: StoreReport | null, p: CheckProbes): Promise<CheckItem> {
  if (!store?.serverUrl) return { id: 'server', level: 'yellow', detail: 'not enrolled: offline use only' };
  const err = await p.reachable(store.serverUrl);
  return err === null
    ? { id: 'server', level: 'green', detail: `${store.serverUrl} answers` }
    : { id: 'server', level: 'red', detail: `${store.serverUrl}: ${err}` };
}

async function mqttItem(config: DeviceConfig, p: CheckProbes): Promise<CheckItem | null> {
  if (config.mqtt === undefined || p.mqttBroker === undefined) return null;
  const err = await p.mqttBroker(config);
  return err === null
    ? { id: 'mqtt', level: 'green', detail: `${config.mqtt.url} accepts the gate's connection` }
    : { id: 'mqtt', level: 'red', detail: `${config.mqtt.url}: ${err}` };
}

/** Every item, in the order INSTALL.md lists them. */
export async function runChecks(
  config: DeviceConfig,
  p: CheckProbes,
  paths: InstallPaths = DEFAULT_PATHS,
): Promise<CheckItem[]> {
  const items: CheckItem[] = [nodeItem(p.nodeVersion)];
  const camera = cameraBinary(config, p);
  items.push(camera);
  const usesCamera = config.camera.source !== 'sim' && config.camera.source !== 'replay';
  if (usesCamera) {
    items.push(groupsItem(p, paths.user, ['video']));
    items.push(
      camera.level === 'red'
        ? { id: 'frame', level: 'red', detail: 'no camera binary' }
        : frameItem(await p.grabFrame(config)),
    );
  }
  items.push(...spiItems(config, p), gpioItem(config, p), ...relayItems(config, p, paths));
  let store: StoreReport | null = null;
  let storeError: string | null = null;
  try {
    store = p.readStore(config);
  } catch (err) {
    storeError = err instanceof Error ? err.message : String(err);
  }
  items.push(timeItem(config, p, store), diskItem(config, p));
  if (storeError !== null) items.push({ id: 'store', level: 'red', detail: storeError });
  else items.push(...storeItems(store, p.nowSeconds));
  items.push(await serverItem(store, p));
  const mqtt = await mqttItem(config, p);
  if (mqtt !== null) items.push(mqtt);
  return items;
}

const RANK: Record<Level, number> = { green: 0, yellow: 1, red: 2 };

/** Exit status by the worst item: 0 green, 1 yellow, 2 red. */
export function worst(items: readonly CheckItem[]): Level {
  return items.reduce<Level>((w, i) => (RANK[i.level] > RANK[w] ? i.level : w), 'green');
}
