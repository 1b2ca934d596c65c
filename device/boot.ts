// From a checked config file to a running device: store, hardware (real or simulated per part), decoder, status
// hub and page, the sync client when the device is enrolled, and the runtime that ties them together. An enrolled
// device that holds no trust bundle yet (freshly enrolled) tries one sync before the runtime decides its first
// frame, bounded by a short timeout so that a device without network still starts.
import fs from 'node:fs';
import path from 'node:path';
import { createHardware } from '../hardware/factory.js';
import { AlarmForwarder, enrolledSender } from './alarms/forwarder.js';
import { parseQuietHours } from '../hardware/buzzer/pattern.js';
import type { Hardware, HardwareDeps } from '../hardware/factory.js';
import type { CancelTimer, Clock } from '../common/clock.js';
import { systemClock } from '../common/clock.js';
import { toHardwareConfig } from './config.js';
import type { DeviceConfig } from './config.js';
import type { Direction } from './decide.js';
import { createDecoder } from './decode/index.js';
import type { FrameDecoder } from './decode/index.js';
import { DEFAULT_LED_OPTIONS } from './leds/machine.js';
import type { Logger } from './log.js';
import { areaLogger } from './log.js';
import { DeviceRuntime } from './runtime.js';
import { startMqtt } from './mqtt/index.js';
import type { MqttPublisher } from './mqtt/index.js';
import type { ServiceNotifier } from './notify.js';
import type { RuntimeOptions } from './runtime.js';
import { StatusHub } from './status/hub.js';
import { TimeTrust, systemTimeProbes } from './time/trusted.js';
import { startStatusServer } from './status/server.js';
import type { StatusServer } from './status/server.js';
import { openStore } from './store/index.js';
import type { DeviceStore } from './store/index.js';
import { SyncClient } from './sync/client.js';
import { PushClient } from './sync/push.js';
import { handleRemoteCommands } from './remote/push-commands.js';
import { readEnrolment } from './trust/enrolment.js';
import { TrustKeeper } from './trust/keeper.js';

export const STORE_FILE = 'device.db';
const PURGE_INTERVAL_MS = 10 * 60_000;
const FRAME_TIMEOUT_MS = 5000;
/** How long the start waits for the first sync of an enrolled device without trust data. */
export const FIRST_SYNC_TIMEOUT_MS = 5000;

const DIRECTIONS: Readonly<Record<DeviceConfig['direction'], Direction | null>> = {
  entry: 'in',
  exit: 'out',
  both: null,
};

/**
 * The runtime's options for a config. `ringCapsBrightness`: the real SPI ring applies the configured brightness
 * cap (and current limit) itself, so the state machine draws at full scale; on the simulated ring the state
 * machine applies the cap, so both show the same.
 */
export function runtimeOptions(config: DeviceConfig, ringCapsBrightness: boolean): RuntimeOptions {
  const localActions: RuntimeOptions['decide']['localActions'] = {
    ...(config.policy.green ? { green: config.policy.green } : {}),
    ...(config.policy.yellow ? { yellow: config.policy.yellow } : {}),
  };
  return {
    place: { site: config.site, gate: config.gate, zone: config.zone, direction: DIRECTIONS[config.direction] },
    decide: {
      skewSeconds: config.clockSkewSeconds,
      localActions,
      localMaxOfflineAgeSeconds: config.policy.maxOfflineAgeSeconds ?? null,
      passbackWindowSeconds: config.antiPassback.enabled ? config.antiPassback.windowSeconds : 0,
      proofWindowSeconds: config.holderProofWindowSeconds,
    },
    presence: { leaveFrames: config.presence.leaveFrames, holdOffMs: config.presence.holdOffSeconds * 1000 },
    gate: {
      relayMode: config.relay.mode,
      pulseMs: config.relay.pulseMs,
      holdMs: config.relay.holdMs,
      grantWindowMs: config.door.grantWindowSeconds * 1000,
      forcedOpenAlarm: config.door.forcedOpenAlarm,
      heldOpenSeconds: config.door.heldOpenSeconds,
      rotationTimeoutSeconds: config.turnstile.passageTimeoutSeconds,
    },
    lockdown: { scope: config.lockdown.scope },
    buzzer: {
      volume: config.buzzer.volume,
      quietHours: config.buzzer.quietHours === undefined ? null : parseQuietHours(config.buzzer.quietHours),
      timeZone: config.buzzer.timeZone ?? null,
    },
    leds: {
      brightness: ringCapsBrightness ? 1 : config.leds.brightness,
      showMs: config.leds.showMs,
      frameMs: DEFAULT_LED_OPTIONS.frameMs,
    },
    retentionSeconds: Math.round(config.retentionHours * 3600),
    purgeIntervalMs: PURGE_INTERVAL_MS,
    trust: {
      rootPublicKey: config.trust.rootPublicKey ?? null,
      bundleFile: config.trust.bundleFile ?? null,
      revocationsFile: config.trust.revocationsFile ?? null,
    },
    frameTimeoutMs: FRAME_TIMEOUT_MS,
  };
}

export interface BootDeps {
  readonly log: Logger;
  readonly clock?: Clock;
  readonly notifier?: ServiceNotifier;
  readonly hardware?: HardwareDeps;
  readonly version?: string;
  /** Whether the clock is trustworthy; default the system's probes (NTP, RTC, signed time). */
  readonly timeTrust?: TimeTrust;
  /** Bound on the first sync before the runtime starts (enrolled, no bundle held); default FIRST_SYNC_TIMEOUT_MS. */
  readonly firstSyncTimeoutMs?: number;
}

export interface RunningDevice {
  readonly runtime: DeviceRuntime;
  readonly hardware: Hardware;
  readonly hub: StatusHub;
  readonly status: StatusServer | null;
  readonly sync: SyncClient | null;
  /** The MQTT publisher when the config has an `mqtt` section. */
  readonly mqtt: MqttPublisher | null;
  /** The push channel to the server (remote open, lockdown), when enrolled and `sync.push` is on. */
  readonly push: PushClient | null;
  readonly store: DeviceStore;
  /** Stop everything; the relay is safe before this resolves. */
  stop(): Promise<void>;
}

function readToken(file: string | undefined): string | null {
  if (file === undefined) return null;
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    return token === '' ? null : token;
  } catch (err) {
    throw new Error(`statusPage.tokenFile: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: err,
    });
  }
}

/**
 * One sync cycle, waited for at most `timeoutMs`. Never throws. On a timeout the cycle goes on in the background
 * and the sync loop, once started, joins it: its data lands as soon as it completes.
 */
async function firstSync(sync: SyncClient, clock: Clock, timeoutMs: number, log: Logger): Promise<void> {
  let cancel: CancelTimer = () => {};
  const timeout = new Promise<'timeout'>((resolve) => {
    cancel = clock.setTimer(timeoutMs, () => resolve('timeout'));
  });
  try {
    const r = await Promise.race([sync.syncNow(), timeout]);
    if (r === 'timeout') {
      log.warn({ timeoutMs }, 'first sync not done in time: starting without trust data, it applies once it lands');
    } else if (!r.ok) {
      log.warn({ error: r.error?.code ?? 'REJECTED' }, 'first sync failed: starting without trust data');
    } else {
      log.info('first sync done: starting with trust data');
    }
  } finally {
    cancel();
  }
}

/** Start the device described by `config`. Anything that fails on the way is closed again (relay safe). */
export async function startDevice(config: DeviceConfig, deps: BootDeps): Promise<RunningDevice> {
  const { log } = deps;
  const clock = deps.clock ?? systemClock;
  const nowSeconds = () => Math.floor(clock.now() / 1000);
  const store = openStore(path.join(config.dataDir, STORE_FILE), { now: nowSeconds });
  let hardware: Hardware | null = null;
  let status: StatusServer | null = null;
  let sync: SyncClient | null = null;
  let alarms: AlarmForwarder | null = null;
  let push: PushClient | null = null;
  let decoder: FrameDecoder | null = null;
  let mqtt: MqttPublisher | null = null;
  /** Set once DeviceRuntime.start owns the parts: it closes them itself when it fails. */
  let handedOver = false;
  const closeExtras = async (): Promise<void> => {
    await mqtt?.close();
    await alarms?.close();
    await push?.stop();
    await sync?.stop();
    await status?.close();
    await hardware?.close();
  };
  try {
    // The one writer of trust data: the trust files at start and the sync client both go through it.
    const trust = new TrustKeeper(store, clock, areaLogger(log, 'sync'), config.trust.rootPublicKey ?? null);
    if (readEnrolment(store) !== null) {
      sync = new SyncClient(
        {
          store,
          trust,
          clock,
          log: areaLogger(log, 'sync'),
          ...(deps.version ? { softwareVersion: deps.version } : {}),
        },
        config.sync,
      );
    }
    // Freshly enrolled: fetch the trust data while the hardware and decoder come up, so the first frame is not
    // refused with NO_TRUST_DATA when a server is reachable.
    const first =
      sync !== null && store.getBundle() === null
        ? firstSync(sync, clock, deps.firstSyncTimeoutMs ?? FIRST_SYNC_TIMEOUT_MS, areaLogger(log, 'sync'))
        : null;
    hardware = await createHardware(toHardwareConfig(config), log.child({ area: 'hardware' }), deps.hardware ?? {});
    decoder = await createDecoder(config.decoder);
    const hub = new StatusHub({ now: nowSeconds });
    // MQTT connects in the background: an absent broker delays neither the start nor any decision.
    if (config.mqtt !== undefined) {
      const place = { site: config.site, gate: config.gate, version: deps.version ?? null };
      mqtt = await startMqtt(config.mqtt, place, hub, areaLogger(log, 'mqtt'));
    }
    if (config.statusPage.enabled) {
      status = await startStatusServer({
        host: config.statusPage.host,
        port: config.statusPage.port,
        token: readToken(config.statusPage.tokenFile),
        hub,
        log: areaLogger(log, 'status'),
        ...(deps.clock ? { clock: deps.clock } : {}),
      });
      log.info({ url: status.url }, 'status page listening');
    }
    await first;
    const options = runtimeOptions(config, hardware.kinds.leds === 'spi');
    const timeTrust =
      deps.timeTrust ??
      (config.clockTrust === 'host'
        ? null
        : new TimeTrust(systemTimeProbes(), {
            rtcConfigured: config.hardware.rtc !== 'none',
            skewSeconds: config.clockSkewSeconds,
          }));
    handedOver = true;
    const runtime = await DeviceRuntime.start(
      options,
      {
        store,
        trust,
        camera: hardware.camera,
        gpio: hardware.gpio,
        ring: hardware.leds,
        buzzer: hardware.buzzer,
        decoder,
        hub,
        closeExtras,
      },
      {
        clock,
        log,
        ...(deps.notifier ? { notifier: deps.notifier } : {}),
        ...(deps.version ? { version: deps.version } : {}),
        ...(timeTrust ? { timeTrust } : {}),
        // After the sunset wipe there is no enrolment left to sync with.
        onSunset: () => {
          void sync?.stop();
          void push?.stop();
        },
      },
    );
    if (sync !== null) {
      // Alarm transitions go to the server at once, beside the sync loop (device/alarms/forwarder.ts).
      const forwarder = new AlarmForwarder({
        store,
        send: enrolledSender(store, { clock }),
        clock,
        log: areaLogger(log, 'sync'),
      });
      alarms = forwarder;
      runtime.onAlarms((list) => forwarder.observe(list));
      sync.subscribe({ syncState: (s) => void (s.online ? forwarder.flush() : undefined) });
      forwarder.observe(runtime.currentAlarms());
      void forwarder.flush();
    }
    sync?.start();
    if (sync !== null && config.sync.push) {
      push = new PushClient({
        store,
        place: { site: config.site, gate: config.gate },
        lockdown: () => runtime.lockdown,
        clock,
        log: areaLogger(log, 'sync'),
      });
      handleRemoteCommands(push, runtime);
      push.start();
    }
    return { runtime, hardware, hub, status, sync, mqtt, push, store, stop: () => runtime.stop() };
  } catch (err) {
    if (!handedOver) {
      await decoder?.close().catch(() => undefined);
      await closeExtras().catch(() => undefined);
      store.close();
    }
    throw err;
  }
}
