// Every setting that follows from the device config, from one pure function: the relay's safe level, the
// /boot/firmware/config.txt block, the systemd unit and the groups of the service user. Nothing here is kept by
// hand anywhere else: `gatecode setup` writes these, `gatecode check` compares the installed files with them.
import type { DeviceConfig } from '../config/schema.js';
import { GATE_CPU_WEIGHT, GATE_IO_PRIORITY, GATE_NICE } from './priority.js';

/** pinctrl / config.txt drive level: `dh` drive high, `dl` drive low. */
export type DriveLevel = 'dh' | 'dl';

/** The level at which the relay is released: low for an active-high board, high for an active-low one. */
export function relaySafeLevel(polarity: DeviceConfig['relay']['polarity']): DriveLevel {
  return polarity === 'active-low' ? 'dh' : 'dl';
}

/** Board families that need different config.txt lines (read from /proc/device-tree/model). */
export type Board = 'pi3' | 'zero2' | 'pi4' | 'pi5' | 'unknown';

export function boardFromModel(model: string): Board {
  if (/Raspberry Pi (5|Compute Module 5)/.test(model)) return 'pi5';
  if (/Raspberry Pi (4|400|Compute Module 4)/.test(model)) return 'pi4';
  if (/Raspberry Pi Zero 2/.test(model)) return 'zero2';
  if (/Raspberry Pi (3|Compute Module 3)/.test(model)) return 'pi3';
  return 'unknown';
}

/** Where the installed parts live; the defaults are the paths INSTALL.md uses. */
export interface InstallPaths {
  /** The release (package root: bin/gatecode.js, dist/). */
  readonly appDir: string;
  /** Node ≥ 20 binary. */
  readonly node: string;
  readonly configFile: string;
  readonly pinctrl: string;
  readonly user: string;
}

export const DEFAULT_PATHS: InstallPaths = {
  appDir: '/opt/gatecode',
  node: '/usr/bin/node',
  configFile: '/etc/gatecode/device.yaml',
  pinctrl: '/usr/bin/pinctrl',
  user: 'gatecode',
};

/** Exit status of `gatecode device` for a fault that a restart cannot mend (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;
/** Exit status of every `gatecode` command for a usage or config error (cli/usage.ts exitCodeFor): also final. */
export const EXIT_USAGE = 2;

/**
 * systemd's watchdog in seconds. It must outlast the camera's own recovery: the device stops pinging 5 s after the
 * last frame, the camera process is restarted after 10 s without a frame (stallMs), and a restarted rpicam-vid
 * needs a few seconds for its first frame. 30 s leaves that recovery room before systemd restarts the service.
 */
export const WATCHDOG_SEC = 30;

/** Marks around the block `gatecode setup` owns in config.txt (replaced, never duplicated, on a re-run). */
export const BOOT_BLOCK_BEGIN = '# BEGIN gatecode (written by gatecode setup; edit the device config, not this block)';
export const BOOT_BLOCK_END = '# END gatecode';

/** The config.txt lines for this config on this board (without the marks). */
export function bootBlock(config: DeviceConfig, board: Board = 'unknown'): string[] {
  // A config.txt may end in a section for some boards only ([cm4], [pi5], ...); the block applies to every board.
  const lines = ['# Every board, whatever section the lines above ended in', '[all]'];
  lines.push('# SPI0 for the LED ring', 'dtparam=spi=on');
  lines.push(
    config.inputs.fire === undefined
      ? '# Relay released from power-on until gatecode runs'
      : '# Relay released from power-on until gatecode runs and reads the fire loop (wire the loop into the lock supply too)',
    `gpio=${config.relay.pin}=op,${relaySafeLevel(config.relay.polarity)}`,
  );
  const pulls = { up: 'pu', down: 'pd', none: 'pn' } as const;
  for (const key of ['door', 'exit', 'rotation', 'fire', 'lockdown', 'tamper'] as const) {
    const i = config.inputs[key];
    if (i !== undefined) lines.push(`# inputs.${key}`, `gpio=${i.pin}=ip,${pulls[i.pull]}`);
  }
  if (config.buzzer.kind === 'active' && config.buzzer.pin !== undefined) {
    lines.push(
      '# Buzzer silent from power-on',
      `gpio=${config.buzzer.pin}=op,${relaySafeLevel(config.buzzer.polarity)}`,
    );
  }
  if (config.camera.source === 'auto' || config.camera.source === 'rpicam') {
    lines.push('# Pi camera (CSI)', 'camera_auto_detect=1');
  }
  if (config.hardware.rtc === 'ds3231') {
    lines.push(
      '# DS3231 real-time clock on I2C (SDA BCM 2, SCL BCM 3)',
      'dtparam=i2c_arm=on',
      'dtoverlay=i2c-rtc,ds3231',
    );
  }
  // The SPI clock follows the core clock on the Pi 3 and 4: pin it so the WS2812 timing holds.
  if (board === 'pi3' || board === 'zero2') lines.push('# WS2812 timing: fixed core clock', 'core_freq=250');
  if (board === 'pi4') lines.push('# WS2812 timing: core clock floor', 'core_freq_min=500');
  return lines;
}

/**
 * The stop step of a release gate (inputs.fire wired): after the relay was driven safe, read the fire loop's pin
 * and, if it is in alarm (or cut), drive the relay to its energised level again, so a gate that stops or crashes
 * during a fire alarm stays in free passage until it runs again. Null when no fire loop is wired.
 */
export function fireStopStep(config: DeviceConfig, pinctrl: string): string | null {
  const fire = config.inputs.fire;
  if (fire === undefined) return null;
  const alarmLevel = fire.polarity === 'active-high' ? 1 : 0;
  const released = relaySafeLevel(config.relay.polarity) === 'dl' ? 'dh' : 'dl';
  // $$ is systemd's escape for a literal $.
  return `/bin/sh -c '[ "$$(${pinctrl} lev ${fire.pin})" = ${alarmLevel} ] && ${pinctrl} set ${config.relay.pin} op ${released} || true'`;
}

/** The groups the service user needs: GPIO (sysfs), SPI (LED ring), video (camera), i2c only for reading an RTC. */
export const SERVICE_GROUPS = ['gpio', 'spi', 'video'] as const;

/** The systemd unit for this config. */
export function renderUnit(config: DeviceConfig, paths: InstallPaths = DEFAULT_PATHS): string {
  const safe = relaySafeLevel(config.relay.polarity);
  const fireStep = fireStopStep(config, paths.pinctrl);
  const fireLines =
    fireStep === null
      ? ''
      : `# Release gate: if the fire loop (BCM ${config.inputs.fire?.pin}) is open at stop, energise the relay again: free passage.
ExecStopPost=+${fireStep}
`;
  const bin = `${paths.appDir}/bin/gatecode.js`;
  const spi = config.leds.spiDevice;
  return `# gatecode device: the checkpoint scanner on a Raspberry Pi.
# Written by \`gatecode setup\` from ${paths.configFile}: every value below that depends on the gate (relay pin
# and safe level, SPI device) comes from that file. Do not edit; change the config and run setup again.

[Unit]
Description=gatecode checkpoint scanner (site ${config.site}, gate ${config.gate})
Documentation=file://${paths.appDir}/hardware/INSTALL.md
# Works offline: it needs local disks, not the network. Sync starts whenever the network appears.
After=local-fs.target time-sync.target
# Never give up restarting a gate for a fault a restart can mend: no start rate limit.
StartLimitIntervalSec=0

[Service]
# Ready is signalled by the process itself (READY=1) once camera, GPIO and store are up.
Type=notify
# The systemd-notify fallback sends from a helper process.
NotifyAccess=all
# Pings come only while frames arrive; longer than the camera's own stall restart (10 s) and its start-up.
WatchdogSec=${WATCHDOG_SEC}
Restart=always
RestartSec=2
# ${EXIT_USAGE}: the config is missing or invalid; ${EXIT_CONFIG}: a fault a restart cannot mend (no camera access,
# a missing replay file): stay stopped, say why once.
RestartPreventExitStatus=${EXIT_USAGE} ${EXIT_CONFIG}
TimeoutStartSec=60
TimeoutStopSec=10
# SIGTERM to the node process and the camera child; then SIGKILL to whatever is left.
KillMode=mixed

User=${paths.user}
Group=${paths.user}
SupplementaryGroups=${SERVICE_GROUPS.join(' ')}
Environment=NODE_ENV=production

# Data directory /var/lib/gatecode (SQLite in WAL), on a writable partition.
StateDirectory=gatecode
StateDirectoryMode=0700
WorkingDirectory=${paths.appDir}
# Priority (device/install/priority.ts): a busy Pi (apt, a journald burst, a log shipper) must not halve the CPU
# of the frame → relay path. Nice= ranks every thread of the gate (and the camera child) above default-priority
# processes in the same scheduling group; CPUWeight= gives the unit's cgroup the same ${(GATE_CPU_WEIGHT / 100).toFixed(1)} : 1 share
# against another service (default 100). The decoder's escalation workers lower themselves to the default.
Nice=${GATE_NICE}
CPUWeight=${GATE_CPU_WEIGHT}
# Revocation lookups read the store on the way to the relay: first in line for the disk among best-effort work.
IOSchedulingClass=best-effort
IOSchedulingPriority=${GATE_IO_PRIORITY}
# A 1 MiB young generation keeps V8 from holding tens of MB of idle heap after a large revocation delta.
ExecStart=${paths.node} --max-semi-space-size=1 ${bin} device --config ${paths.configFile}

# Whatever way the process ended (even SIGKILL or a watchdog kill), force the relay pin ${config.relay.pin} to its released
# level (${config.relay.polarity}: ${safe}) and blank the LED ring. '+' runs these with full privileges.
ExecStopPost=+${paths.pinctrl} set ${config.relay.pin} op ${safe}
${fireLines}ExecStopPost=-+${paths.node} ${bin} device blank --config ${paths.configFile}

# Hardening (systemd-analyze security: about 2.2) that keeps GPIO (sysfs), SPI (${spi}), the camera
# (/dev/media*, /dev/video*, /dev/v4l-subdev*, /dev/dma_heap) and V8's JIT working. Not used on purpose:
# ProtectKernelTunables (makes /sys read-only; GPIO export writes to it), PrivateDevices (hides the devices; the
# device list below closes them instead), MemoryDenyWriteExecute (breaks V8), PrivateNetwork (sync).
DevicePolicy=closed
DeviceAllow=char-spi rw
DeviceAllow=char-video4linux rw
DeviceAllow=char-media rw
DeviceAllow=char-dma_heap rw
DeviceAllow=/dev/rtc0 r
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateMounts=yes
ProtectControlGroups=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictRealtime=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
LockPersonality=yes
CapabilityBoundingSet=
AmbientCapabilities=
RemoveIPC=yes
UMask=0077
KeyringMode=private
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @mount @reboot @swap @debug @obsolete @cpu-emulation @clock @module @raw-io
SystemCallErrorNumber=EPERM
# AF_NETLINK: libcamera watches udev for camera hot-plug.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK

[Install]
WantedBy=multi-user.target
`;
}

/** Everything derived from one config, for setup and check. */
export interface Derived {
  readonly relay: { readonly pin: number; readonly safe: DriveLevel };
  /** The stop step that keeps a release gate open during a fire alarm; null without a fire loop. */
  readonly fireStop: string | null;
  readonly bootBlock: readonly string[];
  readonly unit: string;
  readonly groups: readonly string[];
}

export function derive(config: DeviceConfig, opts: { board?: Board; paths?: InstallPaths } = {}): Derived {
  return {
    relay: { pin: config.relay.pin, safe: relaySafeLevel(config.relay.polarity) },
    fireStop: fireStopStep(config, (opts.paths ?? DEFAULT_PATHS).pinctrl),
    bootBlock: bootBlock(config, opts.board ?? 'unknown'),
    unit: renderUnit(config, opts.paths ?? DEFAULT_PATHS),
    groups: [...SERVICE_GROUPS],
  };
}
