// StatusHub: the one place the device pipeline reports what it is doing and the status page reads it.
// The pipeline calls update/verdict/frame (cheap, synchronous, never blocking); the status server subscribes and
// turns changes into server-sent events, and asks for a relay test pulse through onPulseRequest.
import type { GreyFrame } from '../../hardware/camera/types.js';
import { COLOURS } from '../../protocol/types.js';
import type { Colour } from '../../protocol/types.js';
import {
  initialStatus,
  RECENT_VERDICTS,
  type DeviceStatus,
  type LatestFrame,
  type StatusSnapshot,
  type StatusUpdate,
  type VerdictEntry,
} from './model.js';

export type { DeviceStatus, StatusSnapshot, StatusUpdate, VerdictEntry, LatestFrame } from './model.js';

/** What changed: 'status' for anything in the snapshot, 'frame' for a new camera frame. */
export type StatusChange = 'status' | 'frame';

export type PulseHandler = () => Promise<void> | void;

export interface StatusHubOptions {
  /** Wall clock, epoch seconds (default: Date.now). */
  now?: () => number;
  /** How long a decode region stays drawn after the code was last seen, ms of frame time (default 400). */
  regionHoldMs?: number;
}

/** Thrown by requestPulse when no runtime has registered a pulse handler. */
export class PulseUnavailableError extends Error {
  override readonly name = 'PulseUnavailableError';
  readonly code = 'PULSE_UNAVAILABLE';
}

const FPS_WINDOW_MS = 2000;

export class StatusHub {
  private status: DeviceStatus = initialStatus();
  private readonly now: () => number;
  private readonly regionHoldMs: number;
  private readonly listeners = new Set<(change: StatusChange) => void>();
  private pulseHandler: PulseHandler | null = null;
  private latest: GreyFrame | null = null;
  private region: { corners: readonly (readonly [number, number])[]; at: number } | null = null;
  private readonly frameTimes: number[] = [];

  constructor(opts: StatusHubOptions = {}) {
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.regionHoldMs = opts.regionHoldMs ?? 400;
  }

  /** Merge a partial status: object sections merge field by field, alarms/counters/occupancy replace. */
  update(u: StatusUpdate): void {
    const s = this.status;
    this.status = {
      ...s,
      identity: u.identity ? { ...s.identity, ...u.identity } : s.identity,
      leds: u.leds
        ? { ...s.leds, ...u.leds, pixels: u.leds.pixels ? copyPixels(u.leds.pixels) : s.leds.pixels }
        : s.leds,
      relay: u.relay ? mergeRelay(s.relay, u.relay, this.now()) : s.relay,
      inputs: u.inputs ? { ...s.inputs, ...u.inputs } : s.inputs,
      sync: u.sync ? { ...s.sync, ...u.sync } : s.sync,
      camera: u.camera ? { ...s.camera, ...u.camera } : s.camera,
      alarms: u.alarms ? [...u.alarms] : s.alarms,
      counters: u.counters ? { ...u.counters } : s.counters,
      occupancy: u.occupancy !== undefined ? u.occupancy : s.occupancy,
    };
    this.emit('status');
  }

  /**
   * Record a decision. Only colour, reason, time and whether the gate opened are kept: whatever else the caller
   * passes (claims, pass ids, texts) is dropped here, so it can never reach the page.
   */
  verdict(v: { at: number; colour: Colour; reason: string; opened: boolean }): void {
    if (!COLOURS.includes(v.colour)) throw new TypeError(`unknown colour ${String(v.colour)}`);
    const entry: VerdictEntry = {
      at: Math.floor(v.at),
      colour: v.colour,
      reason: String(v.reason),
      opened: v.opened === true,
    };
    this.status = { ...this.status, recent: [entry, ...this.status.recent].slice(0, RECENT_VERDICTS) };
    this.emit('status');
  }

  /**
   * The latest camera frame and, when a code was found in it, its corners. Only a reference is kept; the PNG is
   * encoded by the status server on demand, so frames cost nothing while nobody watches.
   */
  frame(frame: GreyFrame, corners: readonly (readonly [number, number])[] | null): void {
    this.latest = frame;
    if (corners && corners.length >= 3) {
      this.region = { corners: corners.map((p) => [p[0], p[1]] as const), at: frame.timestamp };
      this.status = { ...this.status, camera: { ...this.status.camera, lastDecodeAt: this.now() } };
    }
    const times = this.frameTimes;
    times.push(frame.timestamp);
    while (times.length > 0 && (times[0] as number) < frame.timestamp - FPS_WINDOW_MS) times.shift();
    if (this.status.camera.width !== frame.width || this.status.camera.height !== frame.height) {
      this.status = { ...this.status, camera: { ...this.status.camera, width: frame.width, height: frame.height } };
      this.emit('status');
    }
    this.emit('frame');
  }

  /** The newest frame with the decode region still worth drawing, or null before the first frame. */
  latestFrame(): LatestFrame | null {
    if (!this.latest) return null;
    const region = this.region;
    const fresh = region !== null && this.latest.timestamp - region.at <= this.regionHoldMs;
    return { frame: this.latest, corners: fresh ? region.corners : null };
  }

  /** The runtime registers how to pulse the relay for the page's test button. Returns an unregister function. */
  onPulseRequest(fn: PulseHandler): () => void {
    this.pulseHandler = fn;
    this.emit('status');
    return () => {
      if (this.pulseHandler === fn) {
        this.pulseHandler = null;
        this.emit('status');
      }
    };
  }

  /** Ask the runtime for a test pulse; rejects with PulseUnavailableError when nobody listens. */
  async requestPulse(): Promise<void> {
    const fn = this.pulseHandler;
    if (!fn) throw new PulseUnavailableError('no relay pulse handler registered');
    await fn();
  }

  get pulseAvailable(): boolean {
    return this.pulseHandler !== null;
  }

  snapshot(): StatusSnapshot {
    const now = this.now();
    const s = this.status;
    const times = this.frameTimes;
    let fps = 0;
    if (times.length >= 2) {
      const span = (times[times.length - 1] as number) - (times[0] as number);
      fps = span > 0 ? Math.round(((times.length - 1) * 1000 * 10) / span) / 10 : 0;
    }
    return {
      ...s,
      camera: { ...s.camera, fps },
      now,
      dataAgeSeconds: s.sync.trustDataAt === null ? null : Math.max(0, now - s.sync.trustDataAt),
      pulseAvailable: this.pulseHandler !== null,
      frameSeq: this.latest ? this.latest.seq : null,
    };
  }

  /** Listen for changes; returns an unsubscribe function. Listeners must be cheap (they run on the pipeline). */
  subscribe(listener: (change: StatusChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  private emit(change: StatusChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A failing page connection must never break the pipeline that reports to the hub.
      }
    }
  }
}

function copyPixels(pixels: readonly (readonly [number, number, number])[]): [number, number, number][] {
  return pixels.map((p) => [clampByte(p[0]), clampByte(p[1]), clampByte(p[2])]);
}

function clampByte(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.min(255, Math.round(n))) : 0;
}

function mergeRelay(
  held: DeviceStatus['relay'],
  u: Partial<DeviceStatus['relay']>,
  now: number,
): DeviceStatus['relay'] {
  const active = u.active ?? held.active;
  const lastActiveAt = u.lastActiveAt !== undefined ? u.lastActiveAt : active && !held.active ? now : held.lastActiveAt;
  return { active, lastActiveAt };
}
