// `gatecode admin alarms …` (list, acknowledge) and `gatecode admin webhook …` (add, list, remove, test, and the
// delivery log). Data on stdout (a table, or JSON with --json), messages on stderr.
import { WEBHOOK_EVENT_TYPES } from '../sync-server/webhooks/service.js';
import type { WebhookEventType } from '../sync-server/webhooks/service.js';
import { client, ok, parse } from './admin-client.js';
import { UsageError } from './usage.js';

export const ALARMS_USAGE = `  alarms [list] [--status open|acknowledged|all] [--device ID] [--kind K] [--json]
                                      alarms from the gates (default: not yet acknowledged)
  alarms ack ALARM_ID                 acknowledge an alarm (recorded in the audit log)
  webhook add --url URL --events T1,T2 [--json]
                                      a webhook; prints its signing secret once (T: ${WEBHOOK_EVENT_TYPES.join(', ')})
  webhook list [--json]
  webhook remove HOOK_ID
  webhook test HOOK_ID                queue a webhook.test delivery to this hook
  webhook deliveries [HOOK_ID] [--limit N] [--json]
                                      the delivery log: each attempt's HTTP status, latency and error`;

const say = (line: string) => process.stdout.write(line + '\n');
const json = (v: unknown) => say(JSON.stringify(v, null, 2));
const iso = (t: number | null | undefined) =>
  typeof t === 'number' ? new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';

function need(positionals: string[], i: number, what: string): string {
  const v = positionals[i];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

export async function alarmsCommand(argv: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(argv, {
    status: { type: 'string' },
    device: { type: 'string' },
    kind: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help();
  const sub = positionals[0] ?? 'list';
  const api = client(values);
  if (sub === 'list') {
    const status = values.status ?? 'open';
    if (status !== 'open' && status !== 'acknowledged' && status !== 'all')
      throw new UsageError('--status must be open, acknowledged or all');
    const query = {
      status,
      ...(values.device ? { device: values.device } : {}),
      ...(values.kind ? { kind: values.kind } : {}),
    };
    const { alarms } = await (await ok(api.alarms.$get({ query }))).json();
    if (values.json) json(alarms);
    else
      for (const a of alarms)
        say(
          [
            String(a.id).padStart(5),
            a.kind.padEnd(16),
            (a.deviceName ?? a.deviceId).padEnd(16),
            `raised ${iso(a.raisedAt)}`,
            a.active ? 'active ' : `cleared ${iso(a.clearedAt)}`,
            a.status === 'open' ? 'open' : `acknowledged by ${a.acknowledgedBy ?? '?'} ${iso(a.acknowledgedAt)}`,
          ].join('  '),
        );
    return 0;
  }
  if (sub === 'ack') {
    const id = need(positionals, 1, 'ALARM_ID');
    if (!/^\d{1,15}$/.test(id)) throw new UsageError('ALARM_ID: expected the number `alarms list` shows');
    const { alarm } = await (await ok(api.alarms[':id'].ack.$post({ param: { id } }))).json();
    process.stderr.write(`alarm ${alarm.id} (${alarm.kind}) acknowledged by ${alarm.acknowledgedBy ?? '?'}\n`);
    return 0;
  }
  throw new UsageError('admin alarms: expected list or ack ALARM_ID');
}

function eventTypes(text: string | undefined): WebhookEventType[] {
  if (!text) throw new UsageError(`--events is required (${WEBHOOK_EVENT_TYPES.join(', ')})`);
  const out: WebhookEventType[] = [];
  for (const t of text.split(',').map((x) => x.trim())) {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t))
      throw new UsageError(`--events: unknown type "${t}" (${WEBHOOK_EVENT_TYPES.join(', ')})`);
    out.push(t as WebhookEventType);
  }
  return out;
}

export async function webhookCommand(argv: string[], help: () => number): Promise<number> {
  const { values, positionals } = parse(argv, {
    url: { type: 'string' },
    events: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help();
  const sub = positionals[0];
  const api = client(values);
  switch (sub) {
    case 'add': {
      if (!values.url) throw new UsageError('--url is required (http:// or https://)');
      const out = await (
        await ok(api.webhooks.$post({ json: { url: values.url, events: eventTypes(values.events) } }))
      ).json();
      if (values.json) json(out);
      else {
        process.stderr.write(
          `webhook ${out.hook.id} → ${out.hook.url} (${out.hook.events.join(', ')}); its signing secret (shown once):\n`,
        );
        say(out.secret);
      }
      return 0;
    }
    case 'list': {
      const { webhooks } = await (await ok(api.webhooks.$get())).json();
      if (values.json) json(webhooks);
      else for (const w of webhooks) say([w.id, w.url, w.events.join(','), `added ${iso(w.createdAt)}`].join('  '));
      return 0;
    }
    case 'remove': {
      const id = need(positionals, 1, 'HOOK_ID');
      await ok(api.webhooks[':id'].$delete({ param: { id } }));
      process.stderr.write(`webhook ${id} removed\n`);
      return 0;
    }
    case 'test': {
      const id = need(positionals, 1, 'HOOK_ID');
      const { eventId } = await (await ok(api.webhooks[':id'].test.$post({ param: { id } }))).json();
      process.stderr.write(`test delivery ${eventId} queued; see \`gatecode admin webhook deliveries ${id}\`\n`);
      return 0;
    }
    case 'deliveries': {
      const limit = values.limit ?? '50';
      if (!/^\d+$/.test(limit)) throw new UsageError('--limit: expected a number');
      const hook = positionals[1];
      const query = { limit, ...(hook ? { hook } : {}) };
      const { deliveries } = await (await ok(api.webhooks.deliveries.$get({ query }))).json();
      if (values.json) json(deliveries);
      else
        for (const d of deliveries) {
          const attempts = d.log.map((a) => `${a.statusCode ?? a.error ?? '?'} ${a.latencyMs}ms`).join(', ');
          say(
            [
              d.eventId.slice(0, 12),
              d.hookId,
              d.eventType.padEnd(18),
              d.status.padEnd(9),
              `attempts ${d.attempts}: ${attempts || '-'}`,
            ].join('  '),
          );
        }
      return 0;
    }
    default:
      throw new UsageError('admin webhook: expected add, list, remove, test or deliveries');
  }
}
