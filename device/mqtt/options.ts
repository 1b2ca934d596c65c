// The MQTT publisher's settings, one zod schema for the check, the defaults and the type. The device config embeds
// it under `mqtt`; without that section the device publishes nothing and never loads the MQTT client.
import { z } from 'zod';

/** A topic level path: no wildcards, no empty levels, no leading or trailing slash. */
const topicPath = z
  .string()
  .regex(
    /^[^/#+\s]+(\/[^/#+\s]+)*$/,
    'expected topic levels separated by / (no + or #, no spaces, no empty level, no leading or trailing /)',
  )
  .max(200);
const file = z.string().min(1);

export const mqttOptionsSchema = z
  .strictObject({
    /** The broker: mqtt://host[:port] (1883) or mqtts://host[:port] (8883, TLS). */
    url: z.string().regex(/^mqtts?:\/\/[^\s/@]+(:\d{1,5})?\/?$/, 'expected mqtt://host[:port] or mqtts://host[:port]'),
    /** User name for the broker. Absent: connect without one. */
    username: z.string().min(1).max(256).optional(),
    /** File holding the password (mode 0600, owned by the service user); the secret is never written in the config. */
    passwordFile: file.optional(),
    /** CA certificate (PEM) the broker's certificate must chain to; absent: the system's CAs. mqtts only. */
    caFile: file.optional(),
    /** Client certificate (PEM) for brokers that ask for one; with keyFile. mqtts only. */
    certFile: file.optional(),
    /** The client certificate's private key (PEM, mode 0600). mqtts only. */
    keyFile: file.optional(),
    /** Client id; absent: gatecode-<site>-<gate>. */
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1–64 letters, digits, _ . : -')
      .optional(),
    /** Where this gate's state topics live; absent: gatecode/<site>/<gate>. */
    topicPrefix: topicPath.optional(),
    /** Publish Home Assistant discovery config so the gate appears as a device with entities. */
    discovery: z.boolean().default(true),
    /** Home Assistant's discovery prefix (its MQTT integration setting). */
    discoveryPrefix: topicPath.default('homeassistant'),
    /** QoS of every message. */
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    /** Retain the state topics, so a subscriber that starts later gets the current state at once. */
    retain: z.boolean().default(true),
    /** MQTT keepalive, seconds: a dead connection is noticed after about 1.5 times this. */
    keepaliveSeconds: z.number().int().min(5).max(3600).default(30),
  })
  .superRefine((o, ctx) => {
    if (o.passwordFile !== undefined && o.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'required with passwordFile' });
    }
    if ((o.certFile === undefined) !== (o.keyFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [o.certFile === undefined ? 'certFile' : 'keyFile'],
        message: 'certFile and keyFile go together',
      });
    }
    if (o.url.startsWith('mqtt://')) {
      for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
        if (o[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'only with an mqtts:// url (TLS)' });
      }
    }
  });

export type MqttOptions = z.infer<typeof mqttOptionsSchema>;
export type MqttOptionsInput = z.input<typeof mqttOptionsSchema>;
