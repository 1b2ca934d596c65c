// MQTT out of the gate: read the secrets the `mqtt` config section names, load mqtt.js (only when configured) and
// start a publisher that follows the status hub. Connecting happens in the background: startMqtt returns before the
// broker answers, and a broker that never answers changes nothing for the gate. Topics and payloads:
// docs/integration.md, MQTT.
import fs from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { Logger } from '../log.js';
import type { StatusHub } from '../status/hub.js';
import type { MqttOptions } from './options.js';
import { MqttPublisher } from './publisher.js';
import type { PublisherOptions } from './publisher.js';
import { availabilityTopic, OFFLINE } from './topics.js';
import type { TopicContext } from './topics.js';

export { MqttPublisher } from './publisher.js';
export type { PublisherStats } from './publisher.js';
export { mqttOptionsSchema } from './options.js';
export type { MqttOptions, MqttOptionsInput } from './options.js';

export type MqttSetupReason = 'SECRET_UNREADABLE' | 'SECRET_TOO_OPEN' | 'SECRET_EMPTY';

/** A file the `mqtt` section names cannot be used; `key` is the config key, `hint` says how to fix it. */
export class MqttSetupError extends Error {
  override readonly name = 'MqttSetupError';
  readonly code = 'MQTT_SETUP' as const;

  constructor(
    readonly reason: MqttSetupReason,
    readonly key: string,
    readonly hint: string,
  ) {
    super(`mqtt.${key}: ${hint}`);
  }
}

/**
 * Read a file named in the config. A secret (the password, the private key) must be readable by its owner only
 * (mode 0600): a secret that others on the machine can read is refused rather than used.
 */
export function readConfigFile(file: string, key: string, secret: boolean): Buffer {
  let data: Buffer;
  let mode: number;
  try {
    mode = fs.statSync(file).mode;
    data = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new MqttSetupError('SECRET_UNREADABLE', key, `cannot read ${file} (${code})`);
  }
  if (secret && (mode & 0o077) !== 0) {
    throw new MqttSetupError(
      'SECRET_TOO_OPEN',
      key,
      `${file} can be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it, owned by the service user`,
    );
  }
  if (data.length === 0) throw new MqttSetupError('SECRET_EMPTY', key, `${file} is empty`);
  return data;
}

export interface MqttPlace {
  readonly site: string;
  readonly gate: string;
  readonly version: string | null;
}

export function topicContext(options: MqttOptions, place: MqttPlace): TopicContext {
  return {
    prefix: options.topicPrefix ?? `gatecode/${place.site}/${place.gate}`,
    discoveryPrefix: options.discoveryPrefix,
    site: place.site,
    gate: place.gate,
    version: place.version,
  };
}

/** mqtt.js client options for the config: last will `offline`, our own reconnect backoff, TLS files. */
export function clientOptions(options: MqttOptions, place: MqttPlace): IClientOptions {
  const ctx = topicContext(options, place);
  const password = options.passwordFile
    ? readConfigFile(options.passwordFile, 'passwordFile', true)
        .toString('utf8')
        .replace(/\r?\n$/, '')
    : undefined;
  return {
    clientId: options.clientId ?? `gatecode-${place.site}-${place.gate}`.slice(0, 64),
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(options.caFile ? { ca: readConfigFile(options.caFile, 'caFile', false) } : {}),
    ...(options.certFile ? { cert: readConfigFile(options.certFile, 'certFile', false) } : {}),
    ...(options.keyFile ? { key: readConfigFile(options.keyFile, 'keyFile', true) } : {}),
    rejectUnauthorized: true,
    protocolVersion: 4,
    clean: true,
    keepalive: options.keepaliveSeconds,
    connectTimeout: 10_000,
    // The publisher reconnects with backoff itself (mqtt.js only knows a fixed period) and publishes only while
    // connected, so mqtt.js never buffers for an absent broker.
    reconnectPeriod: 0,
    queueQoSZero: false,
    manualConnect: true,
    will: { topic: availabilityTopic(ctx), payload: Buffer.from(OFFLINE), qos: options.qos, retain: true },
  };
}

/**
 * Start publishing the hub's state to the configured broker. Throws MqttSetupError (before any connection) when a
 * file the config names cannot be used; never waits for the broker.
 */
export async function startMqtt(
  options: MqttOptions,
  place: MqttPlace,
  hub: StatusHub,
  log: Logger,
  tuning: Partial<PublisherOptions> = {},
): Promise<MqttPublisher> {
  const clientOpts = clientOptions(options, place);
  const mqtt = await import('mqtt');
  const client = mqtt.connect(options.url, clientOpts);
  const publisher = new MqttPublisher(
    hub,
    client,
    topicContext(options, place),
    { qos: options.qos, retain: options.retain, discovery: options.discovery, ...tuning },
    log,
  );
  publisher.start();
  log.info({ url: options.url, prefix: topicContext(options, place).prefix }, 'mqtt publisher started');
  return publisher;
}
