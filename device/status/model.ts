// The device status model: what the status page shows an installer. It holds no pass data at all — a verdict
// is its colour, reason, time and whether the gate opened, nothing that identifies the pass or its holder.
import type { GreyFrame } from '../../hardware/camera/types.js';
import type { Rgb } from '../../hardware/leds/types.js';
import type { Colour } from '../../protocol/types.js';

export type Direction = 'in' | 'out';

export interface IdentityStatus {
  readonly site: string | null;
  readonly gate: string | null;
  readonly direction: Direction | null;
  /** Software version shown in the page footer. */
  readonly version: string | null;
}

export interface LedStatus {
  /** Name of the pattern the LED state machine shows: boot, idle, green, yellow, red, stale, alarm, fault, sunset … */
  readonly pattern: string;
  readonly pixels: readonly Rgb[];
}

export interface RelayStatus {
  /** True while the relay is energised (gate released). */
  readonly active: boolean;
  /** Epoch seconds of the last pulse or hold, null if none since start. */
  readonly lastActiveAt: number | null;
}

export interface InputsStatus {
  /** Null where the input is not wired (not configured). */
  readonly door: boolean | null;
  readonly exit: boolean | null;
  readonly rotation: boolean | null;
  /** Fire-alarm release loop open (alarm or cut wire). */
  readonly fire: boolean | null;
  /** Lockdown switch on. */
  readonly lockdown: boolean | null;
  /** Enclosure tamper loop open (lid open or cut wire). */
  readonly tamper: boolean | null;
}

export interface SyncStatus {
  /** Epoch seconds of the last successful sync (informational). */
  readonly lastSyncAt: number | null;
  /** Epoch seconds at which the trust data is known current, from signed data; the data age counts from it. */
  readonly trustDataAt: number | null;
  readonly revocationSeq: number | null;
  readonly bundleVersion: number | null;
  /** Epoch seconds of the signed sunset. */
  readonly sunset: number | null;
  /** Policy's maximum offline age, for showing how close the data is to going stale. */
  readonly maxOfflineAgeSeconds: number | null;
  readonly online: boolean;
  /** Server clock minus local clock, seconds, from the last heartbeat. */
  readonly clockDriftSeconds: number | null;
  /** Whether the device clock is trusted and by what (device/time/trusted.ts); null before the first check. */
  readonly clockSource?: 'ntp' | 'rtc' | 'signed' | 'none' | null;
  /** Reason code of the last failed sync, null after a success. */
  readonly lastError: string | null;
}

export interface CameraStatus {
  readonly delivered: number;
  readonly dropped: number;
  readonly restarts: number;
  /** Frames seen by the hub in the last few seconds, per second. */
  readonly fps: number;
  readonly width: number | null;
  readonly height: number | null;
  /** Epoch seconds of the last frame that held a decodable code. */
  readonly lastDecodeAt: number | null;
}

export interface VerdictEntry {
  /** Epoch seconds. */
  readonly at: number;
  readonly colour: Colour;
  /** 'OK' or a reason code (protocol reason or a gate reason such as PASSBACK). */
  readonly reason: string;
  readonly opened: boolean;
}

export interface DeviceStatus {
  readonly identity: IdentityStatus;
  readonly leds: LedStatus;
  readonly relay: RelayStatus;
  readonly inputs: InputsStatus;
  /** Active alarms, e.g. door-held-open, door-forced, clock-fault, stale-data, sunset. */
  readonly alarms: readonly string[];
  readonly sync: SyncStatus;
  /** The store's counters: entries, exits, denied:REASON … */
  readonly counters: Readonly<Record<string, number>>;
  readonly occupancy: number | null;
  readonly camera: CameraStatus;
  /** Newest first, at most RECENT_VERDICTS. */
  readonly recent: readonly VerdictEntry[];
}

/** What the page receives: the status plus values derived at the moment of the snapshot. */
export interface StatusSnapshot extends DeviceStatus {
  /** Epoch seconds at which the snapshot was taken (device clock). */
  readonly now: number;
  /** now - trustDataAt (signed), or null without trust data. */
  readonly dataAgeSeconds: number | null;
  /** Whether the relay test button works (a local token is configured and the runtime listens). */
  readonly pulseAvailable: boolean;
  /** Running number of the latest camera frame, so the page knows when to fetch a new one. */
  readonly frameSeq: number | null;
}

/** Sections whose fields merge one level deep in `update()`; the other keys replace. */
type Mergeable = 'identity' | 'leds' | 'relay' | 'inputs' | 'sync' | 'camera';

/**
 * An update: every key optional; the object sections (identity, leds, relay, inputs, sync, camera) may be given
 * in part and merge with what is held. A `Partial<DeviceStatus>` is a valid update.
 */
export type StatusUpdate = { readonly [K in Mergeable]?: Partial<DeviceStatus[K]> } & {
  readonly alarms?: readonly string[];
  readonly counters?: Readonly<Record<string, number>>;
  readonly occupancy?: number | null;
};

export interface LatestFrame {
  readonly frame: GreyFrame;
  /** Decode region of the most recent hit in this frame's coordinates, or null. */
  readonly corners: readonly (readonly [number, number])[] | null;
}

export const RECENT_VERDICTS = 20;

export function initialStatus(): DeviceStatus {
  return {
    identity: { site: null, gate: null, direction: null, version: null },
    leds: { pattern: 'boot', pixels: [] },
    relay: { active: false, lastActiveAt: null },
    inputs: { door: null, exit: null, rotation: null, fire: null, lockdown: null, tamper: null },
    alarms: [],
    sync: {
      lastSyncAt: null,
      trustDataAt: null,
      revocationSeq: null,
      bundleVersion: null,
      sunset: null,
      maxOfflineAgeSeconds: null,
      online: false,
      clockDriftSeconds: null,
      lastError: null,
    },
    counters: {},
    occupancy: null,
    camera: { delivered: 0, dropped: 0, restarts: 0, fps: 0, width: null, height: null, lastDecodeAt: null },
    recent: [],
  };
}
