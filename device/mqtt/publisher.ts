// The MQTT publisher: follows the StatusHub and publishes what changed, fire and forget. The hub's listener only
// marks the state dirty and schedules one flush on a later turn of the event loop, so the pipeline that reports a
// verdict never waits for the broker, the socket or a computation here. While the broker is away nothing is sent
// and nothing piles up: on every (re)connect the current state is published in full (retained), so the latest
// state wins. What is handed to the client at once is bounded (maxInFlight), and so is the queue behind it
// (maxQueue, oldest dropped first; per topic only the newest payload is kept).
import type { MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { StatusHub, StatusSnapshot } from '../status/hub.js';
import { nextDelay } from '../sync/backoff.js';
import {
  availabilityTopic,
  discoveryMessages,
  KNOWN_ALARMS,
  OFFLINE,
  ONLINE,
  stateMessages,
  type TopicContext,
} from './topics.js';

/** Alarm names that get their own topic and entity; any beyond are still in the `alarms` list. */
const MAX_ALARM_TOPICS = 64;

export interface PublisherOptions {
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly discovery: boolean;
  /** Topics waiting behind the in-flight window; beyond this the oldest is dropped (default 256). */
  readonly maxQueue?: number;
  /** Publishes handed to the client and not yet acknowledged (default 16). */
  readonly maxInFlight?: number;
  /** Reconnect delay after the first failure, doubling up to backoffMaxMs (defaults 1 s and 60 s). */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly random?: () => number;
}

export interface PublisherStats {
  readonly connected: boolean;
  /** Successful connections since start. */
  readonly connects: number;
  /** Messages the client confirmed (written for QoS 0, acknowledged for QoS 1 and 2). */
  readonly published: number;
  /** Messages dropped from a full queue. */
  readonly dropped: number;
  /** Failed connection attempts in a row (0 while connected). */
  readonly failures: number;
  /** Topics waiting to be handed to the client (at most maxQueue). */
  readonly queued: number;
  /** Publishes handed to the client and not yet confirmed (at most maxInFlight). */
  readonly inFlight: number;
}

export class MqttPublisher {
  private readonly pending = new Map<string, string>();
  /** The last payload queued per topic, so only changes are sent; cleared on every connect. */
  private readonly sent = new Map<string, string>();
  /** Every alarm that has an entity: the known ones and any seen since start. */
  private readonly alarms = new Set<string>(KNOWN_ALARMS);
  private readonly maxQueue: number;
  private readonly maxInFlight: number;
  private inFlight = 0;
  /** Bumped on every connect and close: callbacks of an earlier connection no longer count. */
  private generation = 0;
  private scheduled = false;
  /** Something was dropped from a full queue: once the queue is empty, flush again to send what is current. */
  private resync = false;
  private closed = false;
  private unsubscribe: (() => void) | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private counts = { connects: 0, published: 0, dropped: 0, failures: 0 };
  /** Discovery config changes only when the set of entities does: built again only then. */
  private discoveryCache: { key: string; messages: Map<string, string> } | null = null;

  constructor(
    private readonly hub: StatusHub,
    private readonly client: MqttClient,
    private readonly ctx: TopicContext,
    private readonly opts: PublisherOptions,
    private readonly log: Logger,
  ) {
    this.maxQueue = opts.maxQueue ?? 256;
    this.maxInFlight = opts.maxInFlight ?? 16;
  }

  /** Follow the hub and connect (in the background: this returns at once). */
  start(): void {
    this.unsubscribe = this.hub.subscribe((change) => {
      if (change === 'status') this.schedule();
    });
    this.client.on('connect', () => this.onConnect());
    this.client.on('close', () => this.onClose());
    // Once per outage at warn; the retries after it at debug.
    this.client.on('error', (err) =>
      (this.counts.failures === 0 ? this.log.warn : this.log.debug).call(this.log, { err: err.message }, 'mqtt error'),
    );
    this.client.connect();
  }

  get stats(): PublisherStats {
    return { connected: this.client.connected, ...this.counts, queued: this.pending.size, inFlight: this.inFlight };
  }

  /**
   * Say `offline` (retained) and disconnect, waiting at most `timeoutMs`; a broker that is away is not waited for.
   */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.end(true);
        resolve();
      }, timeoutMs);
      const end = (): void => {
        client.end(false, {}, () => {
          clearTimeout(timer);
          resolve();
        });
      };
      if (!client.connected) {
        clearTimeout(timer);
        client.end(true, {}, () => resolve());
        return;
      }
      client.publish(availabilityTopic(this.ctx), OFFLINE, { qos: this.opts.qos, retain: true }, () => end());
    });
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Queue every topic whose payload differs from the last one queued, then send what the window allows. */
  private flush(): void {
    if (this.closed || !this.client.connected) return;
    let messages: Map<string, string>;
    try {
      const s = this.hub.snapshot();
      for (const a of s.alarms) if (this.alarms.size < MAX_ALARM_TOPICS) this.alarms.add(a);
      messages = new Map([
        ...(this.opts.discovery ? this.discovery(s) : []),
        ...stateMessages(s, this.alarms, this.ctx),
      ]);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'mqtt: cannot build the state messages');
      return;
    }
    for (const [topic, payload] of messages) {
      if (this.sent.get(topic) === payload) continue;
      this.sent.set(topic, payload);
      this.enqueue(topic, payload);
    }
    this.drain();
  }

  private discovery(s: StatusSnapshot): Map<string, string> {
    const key = `${s.inputs.door !== null}|${s.occupancy !== null}|${[...this.alarms].join(',')}`;
    if (this.discoveryCache?.key !== key) {
      this.discoveryCache = { key, messages: discoveryMessages(s, this.alarms, this.ctx) };
    }
    return this.discoveryCache.messages;
  }

  private enqueue(topic: string, payload: string): void {
    this.pending.delete(topic); // re-inserted at the end: the newest payload, in order of change
    this.pending.set(topic, payload);
    while (this.pending.size > this.maxQueue) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
      this.sent.delete(oldest); // queued again by the next flush if still current
      this.counts.dropped++;
      this.resync = true;
    }
  }

  private drain(): void {
    const gen = this.generation;
    while (this.client.connected && this.inFlight < this.maxInFlight && this.pending.size > 0) {
      const [topic, payload] = this.pending.entries().next().value as [string, string];
      this.pending.delete(topic);
      this.inFlight++;
      this.client.publish(topic, payload, { qos: this.opts.qos, retain: this.retained(topic) }, (err) => {
        if (gen !== this.generation) return;
        this.inFlight--;
        if (err) {
          this.log.debug({ err: err.message, topic }, 'mqtt publish failed');
          this.sent.delete(topic);
        } else {
          this.counts.published++;
        }
        if (this.pending.size > 0) this.drain();
        else if (this.resync) {
          this.resync = false;
          this.schedule();
        }
      });
    }
  }

  /** Availability and discovery config are always retained; the state topics as configured. */
  private retained(topic: string): boolean {
    return (
      this.opts.retain || topic === availabilityTopic(this.ctx) || topic.startsWith(`${this.ctx.discoveryPrefix}/`)
    );
  }

  private onConnect(): void {
    this.generation++;
    this.inFlight = 0;
    this.counts.connects++;
    this.counts.failures = 0;
    this.log.info({ connects: this.counts.connects }, 'mqtt connected');
    // A broker may have lost its retained messages: publish everything again, `online` first.
    this.sent.clear();
    this.pending.clear();
    this.resync = false;
    this.enqueue(availabilityTopic(this.ctx), ONLINE);
    this.flush();
  }

  private onClose(): void {
    this.generation++;
    this.inFlight = 0;
    if (this.closed || this.reconnectTimer !== null) return;
    this.counts.failures++;
    const delay = nextDelay(
      {
        pollIntervalMs: 0,
        jitter: 0.2,
        backoffBaseMs: this.opts.backoffBaseMs ?? 1000,
        backoffMaxMs: this.opts.backoffMaxMs ?? 60_000,
      },
      this.counts.failures,
      this.opts.random ?? Math.random,
    );
    if (this.counts.failures === 1) this.log.warn({ retryMs: delay }, 'mqtt broker unreachable or connection lost');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closed) this.client.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
