// What the gate publishes over MQTT, as pure functions of a status snapshot: the state topics under the gate's
// prefix and the Home Assistant discovery config that turns them into a device with entities. Nothing here can
// carry pass data: the snapshot holds none (a verdict is its colour, reason, time and whether the gate opened).
import type { StatusSnapshot } from '../status/hub.js';

export const ONLINE = 'online';
export const OFFLINE = 'offline';
const ON = 'ON';
const OFF = 'OFF';

/** The alarms a gate can raise today; each gets an entity from the start. Others get one when first seen. */
export const KNOWN_ALARMS = [
  'door-forced',
  'door-held-open',
  'fire-release',
  'lockdown',
  'tamper',
  'clock-fault',
  'stale-data',
  'offline',
  'sunset',
] as const;

export interface TopicContext {
  /** State topics live under this prefix, e.g. gatecode/north/n1. */
  readonly prefix: string;
  readonly discoveryPrefix: string;
  readonly site: string;
  readonly gate: string;
  readonly version: string | null;
}

/** The availability topic: `online` while connected, `offline` as the last will and on a clean stop. */
export function availabilityTopic(ctx: TopicContext): string {
  return `${ctx.prefix}/availability`;
}

/** Topic-safe form of an alarm name: lowercase letters, digits and dashes. */
export function alarmSlug(alarm: string): string {
  return (
    alarm
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'unnamed'
  );
}

/** Home Assistant's node id (letters, digits, _ and - only): gatecode_<site>_<gate>. */
export function nodeId(ctx: TopicContext): string {
  return `gatecode_${ctx.site}_${ctx.gate}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

const onOff = (v: boolean): string => (v ? ON : OFF);

function deniedTotal(counters: Readonly<Record<string, number>>): number {
  let n = 0;
  for (const [k, v] of Object.entries(counters)) if (k.startsWith('denied:')) n += v;
  return n;
}

/**
 * The state topics and their payloads for a snapshot. `alarms` is every alarm name that has an entity (the known
 * ones and any seen since start): each gets ON or OFF, so an alarm that ends is seen to end.
 */
export function stateMessages(s: StatusSnapshot, alarms: Iterable<string>, ctx: TopicContext): Map<string, string> {
  const p = ctx.prefix;
  const m = new Map<string, string>();
  m.set(`${p}/relay`, onOff(s.relay.active));
  if (s.inputs.door !== null) m.set(`${p}/door`, onOff(s.inputs.door));
  m.set(`${p}/server`, onOff(s.sync.online));
  const active = new Set(s.alarms.map(alarmSlug));
  m.set(`${p}/alarms`, JSON.stringify([...active].sort()));
  for (const a of alarms) {
    const slug = alarmSlug(a);
    m.set(`${p}/alarm/${slug}`, onOff(active.has(slug)));
  }
  const last = s.recent[0];
  if (last !== undefined) {
    m.set(
      `${p}/verdict`,
      JSON.stringify({ at: last.at, colour: last.colour, reason: last.reason, opened: last.opened }),
    );
  }
  if (s.occupancy !== null) m.set(`${p}/occupancy`, String(s.occupancy));
  m.set(
    `${p}/counters`,
    JSON.stringify({
      entries: s.counters['entries'] ?? 0,
      exits: s.counters['exits'] ?? 0,
      passages: s.counters['passages'] ?? 0,
      denied: deniedTotal(s.counters),
    }),
  );
  return m;
}

interface Entity {
  readonly component: 'binary_sensor' | 'sensor';
  readonly objectId: string;
  readonly config: Record<string, unknown>;
}

function humanAlarm(alarm: string): string {
  const text = alarm.replace(/-/g, ' ');
  return `Alarm: ${text}`;
}

/**
 * The Home Assistant discovery messages for a snapshot: `<discoveryPrefix>/<component>/<node id>/<object id>/config`,
 * each a JSON config with the device block, the availability topic and a unique id.
 */
export function discoveryMessages(s: StatusSnapshot, alarms: Iterable<string>, ctx: TopicContext): Map<string, string> {
  const p = ctx.prefix;
  const node = nodeId(ctx);
  const entities: Entity[] = [
    {
      component: 'binary_sensor',
      objectId: 'relay',
      // A lock entity reads ON as unlocked: the relay is energised while the gate is released.
      config: { name: 'Gate released', state_topic: `${p}/relay`, device_class: 'lock' },
    },
    {
      component: 'binary_sensor',
      objectId: 'server',
      config: {
        name: 'Server link',
        state_topic: `${p}/server`,
        device_class: 'connectivity',
        entity_category: 'diagnostic',
      },
    },
    {
      component: 'sensor',
      objectId: 'verdict_colour',
      config: {
        name: 'Last verdict',
        state_topic: `${p}/verdict`,
        value_template: '{{ value_json.colour }}',
        json_attributes_topic: `${p}/verdict`,
        icon: 'mdi:traffic-light',
      },
    },
    {
      component: 'sensor',
      objectId: 'verdict_reason',
      config: {
        name: 'Last verdict reason',
        state_topic: `${p}/verdict`,
        value_template: '{{ value_json.reason }}',
        icon: 'mdi:information-outline',
      },
    },
    ...(['entries', 'exits', 'denied'] as const).map((k): Entity => ({
      component: 'sensor',
      objectId: k,
      config: {
        name: k === 'denied' ? 'Denied' : k === 'entries' ? 'Entries' : 'Exits',
        state_topic: `${p}/counters`,
        value_template: `{{ value_json.${k} }}`,
        state_class: 'total_increasing',
        icon: k === 'denied' ? 'mdi:account-cancel' : 'mdi:account-arrow-right',
      },
    })),
  ];
  if (s.inputs.door !== null) {
    entities.push({
      component: 'binary_sensor',
      objectId: 'door',
      config: { name: 'Door', state_topic: `${p}/door`, device_class: 'door' },
    });
  }
  if (s.occupancy !== null) {
    entities.push({
      component: 'sensor',
      objectId: 'occupancy',
      config: {
        name: 'Occupancy',
        state_topic: `${p}/occupancy`,
        state_class: 'measurement',
        unit_of_measurement: 'people',
        icon: 'mdi:account-group',
      },
    });
  }
  for (const a of alarms) {
    const slug = alarmSlug(a);
    entities.push({
      component: 'binary_sensor',
      objectId: `alarm_${slug.replace(/-/g, '_')}`,
      config: {
        name: humanAlarm(slug),
        state_topic: `${p}/alarm/${slug}`,
        device_class: slug === 'fire-release' ? 'safety' : 'problem',
      },
    });
  }
  const device = {
    identifiers: [node],
    name: `gatecode ${ctx.site}/${ctx.gate}`,
    manufacturer: 'gatecode',
    model: 'gatecode checkpoint',
    ...(ctx.version !== null ? { sw_version: ctx.version } : {}),
  };
  const origin = { name: 'gatecode', ...(ctx.version !== null ? { sw_version: ctx.version } : {}) };
  const out = new Map<string, string>();
  for (const e of entities) {
    const config = {
      ...e.config,
      unique_id: `${node}_${e.objectId}`,
      availability_topic: availabilityTopic(ctx),
      payload_available: ONLINE,
      payload_not_available: OFFLINE,
      ...(e.component === 'binary_sensor' ? { payload_on: ON, payload_off: OFF } : {}),
      device,
      origin,
    };
    out.set(`${ctx.discoveryPrefix}/${e.component}/${node}/${e.objectId}/config`, JSON.stringify(config));
  }
  return out;
}
