// Alarms end to end on loopback: the real device runtime (simulated GPIO, real SQLite store) with the alarm
// forwarder, a real sync server, and a real webhook receiver that checks signatures and fails on purpose.
// A forced door reaches the server's alarm list within seconds and the receiver with a valid signature after two
// refused attempts (the delivery log shows all three); an offline device keeps its alarms and sends them on
// reconnect; acknowledging is audited. The measured times are printed for the notes.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import { AlarmForwarder, enrolledSender } from '../../device/alarms/forwarder.js';
import { enrol } from '../../device/sync/enrolment.js';
import { STATE_KEYS } from '../../device/store/index.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { startRealServer } from '../support/real-server.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import type { WebhookReceiver } from '../support/webhook-receiver.js';
import { silentLog } from '../support/log.js';
import { Harness } from '../device/helpers/harness.js';

interface Alarm {
  id: number;
  deviceId: string;
  kind: string;
  raisedAt: number | null;
  clearedAt: number | null;
  status: 'open' | 'acknowledged';
  active: boolean;
  acknowledgedBy: string | null;
}
interface Delivery {
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  log: { statusCode: number | null; latencyMs: number; error: string | null }[];
}

let env: Awaited<ReturnType<typeof startRealServer>>;
let receiver: WebhookReceiver;
let proxy: FaultProxy;
let h: Harness;
let forwarder: AlarmForwarder;
const figures: Record<string, number> = {};

const alarms = async (status = 'all'): Promise<Alarm[]> =>
  (await env.admin.call<{ alarms: Alarm[] }>('GET', `/api/admin/alarms?status=${status}`)).body.alarms;

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function makeForwarder(): AlarmForwarder {
  const f = new AlarmForwarder({
    store: h.store,
    send: enrolledSender(h.store, { clock: systemClock, timeoutMs: 2000 }),
    clock: systemClock,
    log: process.env['DBG'] ? (console as never) : silentLog(),
    retryBaseMs: 50,
    retryMaxMs: 200,
  });
  h.runtime.onAlarms((list) => f.observe(list));
  return f;
}

beforeAll(async () => {
  env = await startRealServer({ webhooks: { retryBaseMs: 100, retryMaxMs: 400, maxAttempts: 5 } });
  receiver = await startWebhookReceiver();
  const hook = await env.admin.call<{ hook: { id: string }; secret: string }>('POST', '/api/admin/webhooks', {
    url: receiver.url,
    events: ['alarm.raised', 'alarm.cleared', 'alarm.acknowledged'],
  });
  expect(hook.status).toBe(201);
  receiver.secret = hook.body.secret;
  h = await Harness.start();
  await enrol({ store: h.store, uri: await env.admin.enrolmentUri(), name: 'door 1' });
  // The device talks to the server through a proxy the test can cut (offline) and restore.
  proxy = await startFaultProxy(env.server.url);
  h.store.setState(STATE_KEYS.serverUrl, proxy.url);
  forwarder = makeForwarder();
  forwarder.observe(h.runtime.currentAlarms());
  await forwarder.idle();
}, 60_000);

afterAll(async () => {
  await forwarder?.close();
  await h?.stop();
  await proxy?.close();
  await receiver?.close();
  await env?.stop();
  // The figures for the notes (alarm → server, alarm → webhook), measured on this machine in this run.
  process.stderr.write(`alarm timings (ms): ${JSON.stringify(figures)}\n`);
});

describe('alarms from a device to the server and a webhook', { timeout: 60_000 }, () => {
  it('a forced door reaches the server within seconds and the receiver, signed, after two refused attempts', async () => {
    receiver.failNext(2, (body) => body.includes('"door-forced"') && body.includes('"alarm.raised"'));
    const t0 = performance.now();
    h.gpio.setInput('door', true); // opened without a grant
    expect(h.hub.snapshot().alarms).toContain('door-forced');
    const listed = await until('the alarm on the server', async () =>
      (await alarms('open')).find((a) => a.kind === 'door-forced' && a.active),
    );
    figures['door-forced → server list'] = Math.round(performance.now() - t0);
    expect(figures['door-forced → server list']).toBeLessThan(5000);
    const first = await until('the first webhook attempt', async () =>
      receiver.received.find((r) => r.json.data['kind'] === 'door-forced' && r.json.type === 'alarm.raised'),
    );
    figures['door-forced → first webhook attempt'] = Math.round(first.at - t0);
    const delivered = await until('the delivered webhook', async () =>
      receiver.received.find((r) => r.json.data['kind'] === 'door-forced' && r.answered === 204),
    );
    figures['door-forced → webhook delivered (after 2 × 500)'] = Math.round(delivered.at - t0);
    expect(delivered.check.ok).toBe(true);
    expect(delivered.event).toBe('alarm.raised');
    expect(delivered.json.data).toMatchObject({ kind: 'door-forced', deviceId: listed.deviceId, deviceName: 'door 1' });
    const attempts = receiver.received.filter((r) => r.delivery === delivered.delivery);
    expect(attempts.map((r) => r.answered)).toEqual([500, 500, 204]);
    expect(attempts.every((r) => r.check.ok)).toBe(true);
    // The delivery log on the server: three attempts, two refused, then delivered.
    const log = await until('the delivery log', async () => {
      const { deliveries } = (
        await env.admin.call<{ deliveries: Delivery[] }>('GET', '/api/admin/webhooks/deliveries?limit=100')
      ).body;
      const d = deliveries.find((x) => x.eventId === delivered.delivery);
      return d?.status === 'delivered' ? d : undefined;
    });
    expect(log.attempts).toBe(3);
    expect(log.log.map((a) => a.statusCode)).toEqual([500, 500, 204]);
    expect(log.log.map((a) => a.error)).toEqual(['HTTP_500', 'HTTP_500', null]);
    expect(log.log.every((a) => a.latencyMs >= 0)).toBe(true);
  });

  it('the door closing clears the alarm on the server and sends alarm.cleared', async () => {
    const t0 = performance.now();
    h.gpio.setInput('door', false);
    const cleared = await until('the cleared alarm', async () =>
      (await alarms()).find((a) => a.kind === 'door-forced' && a.clearedAt !== null),
    );
    figures['door closed → server cleared'] = Math.round(performance.now() - t0);
    expect(cleared.active).toBe(false);
    expect(cleared.clearedAt!).toBeGreaterThanOrEqual(cleared.raisedAt!);
    await until('alarm.cleared at the receiver', async () =>
      receiver.received.find((r) => r.json.type === 'alarm.cleared' && r.json.data['kind'] === 'door-forced'),
    );
  });

  it('an offline device keeps its alarms (also over a restart of the forwarder) and sends them on reconnect', async () => {
    const before = (await alarms()).length;
    proxy.mode = 'drop';
    h.gpio.setInput('door', true);
    h.gpio.setInput('door', false);
    await sleep(300); // several failed attempts (retry 50…200 ms)
    expect(h.store.pendingAlarmOutbox(10).map((e) => `${e.kind}:${e.state}`)).toEqual([
      'door-forced:raised',
      'door-forced:cleared',
    ]);
    expect(await alarms()).toHaveLength(before);
    // The process restarts: a new forwarder over the same store finds the outbox.
    await forwarder.close();
    forwarder = makeForwarder();
    proxy.mode = 'pass';
    const t0 = performance.now();
    await forwarder.flush(); // what the sync client's "online again" does
    figures['reconnect → backlog on server'] = Math.round(performance.now() - t0);
    expect(h.store.pendingAlarmOutbox(10)).toEqual([]);
    const after = await alarms();
    expect(after).toHaveLength(before + 1);
    expect(after[0]).toMatchObject({ kind: 'door-forced', active: false, status: 'open' });
  });

  it('acknowledging an alarm records who and when, in the audit log, and tells the webhook', async () => {
    const open = (await alarms('open')).find((a) => a.kind === 'door-forced')!;
    const ack = await env.admin.call<{ alarm: Alarm }>('POST', `/api/admin/alarms/${open.id}/ack`);
    expect(ack.status).toBe(200);
    expect(ack.body.alarm).toMatchObject({ status: 'acknowledged', acknowledgedBy: expect.stringMatching(/^admin:/) });
    expect((await alarms('open')).some((a) => a.id === open.id)).toBe(false);
    expect((await alarms('acknowledged')).some((a) => a.id === open.id)).toBe(true);
    const audit = await env.admin.call<{ entries: { action: string; target: string; actor: string }[] }>(
      'GET',
      '/api/admin/audit',
    );
    expect(audit.body.entries.find((e) => e.action === 'alarm.acknowledge')).toMatchObject({
      target: String(open.id),
      actor: expect.stringMatching(/^admin:/),
    });
    await until('alarm.acknowledged at the receiver', async () =>
      receiver.received.find((r) => r.json.type === 'alarm.acknowledged' && r.json.data['alarmId'] === open.id),
    );
    expect((await env.admin.call('POST', '/api/admin/alarms/999999/ack')).status).toBe(404);
  });
});
