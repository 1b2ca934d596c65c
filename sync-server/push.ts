// The push channel, server side: one long-lived server-sent-events stream per online device (GET
// /api/device/push), heartbeats on it, and a way to send a device one event and wait for its answer (POST
// /api/device/push/ack). Generic: it knows devices, events and ids, not what a command means (sync-server/remote.ts
// builds the signed remote commands on top of it). Only the newest connection of a device counts; an older one is
// closed when the device connects again.
import { every } from '../common/clock.js';
import type { CancelTimer, Clock } from '../common/clock.js';

/** Where a connected device says it stands (the gate its relay drives). */
export interface PushPlace {
  readonly site: string;
  readonly gate: string;
}

export interface PushConnectionInfo extends PushPlace {
  readonly deviceId: string;
  /** Epoch seconds. */
  readonly connectedAt: number;
  /** The gate's lockdown state as last reported (at connect or in an answer); null when unknown. */
  readonly lockdown: boolean | null;
}

/** A device's answer to one pushed event (the contract's PushAck). */
export interface PushAnswer {
  readonly id: string;
  readonly ok: boolean;
  readonly reason?: string | undefined;
  readonly lockdown?: boolean | undefined;
}

interface Connection {
  info: PushConnectionInfo;
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  closed: boolean;
}

const encoder = new TextEncoder();

/** One SSE frame. `event` and `id` are our own words (no line breaks); data is one JSON line. */
export function sseFrame(event: string, data: unknown, id?: string): string {
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

export class PushHub {
  private readonly connections = new Map<string, Connection>();
  private readonly waiting = new Map<string, { deviceId: string; resolve: (a: PushAnswer | null) => void }>();
  private readonly cancelHeartbeat: CancelTimer;

  constructor(
    private readonly clock: Clock,
    /** A `: ping` comment goes to every open stream this often. */
    readonly heartbeatMs = 15_000,
  ) {
    this.cancelHeartbeat = every(clock, heartbeatMs, () => {
      for (const c of this.connections.values()) this.write(c, ': ping\n\n');
    });
  }

  /**
   * Open a device's stream: `hello` first, then whatever is pushed. Replaces an older stream of the same device.
   * The stream ends when the client goes away (cancel), on `closeAll`, or when the device connects again.
   */
  open(deviceId: string, place: PushPlace, lockdown: boolean | null): ReadableStream<Uint8Array> {
    this.drop(deviceId);
    const info: PushConnectionInfo = {
      deviceId,
      site: place.site,
      gate: place.gate,
      connectedAt: Math.floor(this.clock.now() / 1000),
      lockdown,
    };
    let conn: Connection | null = null;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        conn = { info, controller, closed: false };
        this.connections.set(deviceId, conn);
        this.write(conn, sseFrame('hello', { heartbeatSeconds: this.heartbeatMs / 1000 }));
      },
      cancel: () => {
        if (conn) this.forget(conn);
      },
    });
  }

  /** The devices with an open stream, oldest connection first. */
  connected(): PushConnectionInfo[] {
    return [...this.connections.values()].map((c) => c.info).sort((a, b) => a.connectedAt - b.connectedAt);
  }

  isConnected(deviceId: string): boolean {
    return this.connections.has(deviceId);
  }

  /**
   * Send one event to a device and wait up to `timeoutMs` for its answer (null: no answer in time, or the
   * stream closed first). False from `send` (not connected) resolves null at once.
   */
  request(deviceId: string, event: string, id: string, data: unknown, timeoutMs: number): Promise<PushAnswer | null> {
    return new Promise((resolve) => {
      let cancel: CancelTimer = () => {};
      const done = (a: PushAnswer | null): void => {
        cancel();
        this.waiting.delete(id);
        resolve(a);
      };
      this.waiting.set(id, { deviceId, resolve: done });
      cancel = this.clock.setTimer(timeoutMs, () => done(null));
      if (!this.send(deviceId, event, data, id)) done(null);
    });
  }

  /** Push one event; false when the device has no open stream. */
  send(deviceId: string, event: string, data: unknown, id?: string): boolean {
    const c = this.connections.get(deviceId);
    return c !== undefined && this.write(c, sseFrame(event, data, id));
  }

  /** A device's answer to a pushed event; false when nobody waits for it from this device. */
  answer(deviceId: string, a: PushAnswer): boolean {
    const w = this.waiting.get(a.id);
    if (!w || w.deviceId !== deviceId) return false;
    const c = this.connections.get(deviceId);
    if (c && a.lockdown !== undefined) c.info = { ...c.info, lockdown: a.lockdown };
    w.resolve(a);
    return true;
  }

  /** Close every stream (server shutdown) and stop the heartbeat. */
  closeAll(): void {
    this.cancelHeartbeat();
    for (const id of [...this.connections.keys()]) this.drop(id);
    for (const w of [...this.waiting.values()]) w.resolve(null);
  }

  private drop(deviceId: string): void {
    const c = this.connections.get(deviceId);
    if (!c) return;
    this.forget(c);
    try {
      c.controller.close();
    } catch {
      // already closed by the client
    }
  }

  private forget(c: Connection): void {
    c.closed = true;
    if (this.connections.get(c.info.deviceId) === c) this.connections.delete(c.info.deviceId);
    for (const w of [...this.waiting.values()]) if (w.deviceId === c.info.deviceId) w.resolve(null);
  }

  private write(c: Connection, text: string): boolean {
    if (c.closed) return false;
    try {
      c.controller.enqueue(encoder.encode(text));
      return true;
    } catch {
      this.forget(c);
      return false;
    }
  }
}
