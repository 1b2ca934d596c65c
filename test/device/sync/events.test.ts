// Event upload: batches keyed by their events, so a batch re-sent after a lost answer is stored once; only what
// the policy allows leaves the device.
import { afterEach, describe, expect, it } from 'vitest';
import { makeRig } from './helpers/setup.js';
import type { Rig } from './helpers/setup.js';
import { T0_S } from '../../support/deployment.js';

let rig: Rig;
afterEach(() => rig.close());

function addEvents(r: Rig, n: number): string[] {
  const passIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const passId = `${i.toString(16).padStart(4, '0')}${'c'.repeat(28)}`;
    passIds.push(passId);
    r.store.addEvent({
      at: T0_S + i,
      colour: i % 3 === 0 ? 'red' : 'green',
      reason: i % 3 === 0 ? 'REVOKED' : 'OK',
      passHash: r.store.passHash(passId),
      direction: 'in',
      opened: i % 3 !== 0,
    });
  }
  return passIds;
}

describe('event upload', () => {
  it('uploads queued events in batches and marks them uploaded', async () => {
    rig = await makeRig({ options: { eventBatchSize: 200 } });
    addEvents(rig, 450);
    const r = await rig.client.syncNow();
    expect(r.eventsUploaded).toBe(450);
    expect(rig.api.count(/events/)).toBe(3);
    expect(rig.api.storedEvents).toHaveLength(450);
    expect(rig.store.pendingEvents(10)).toHaveLength(0);
    await rig.client.syncNow();
    expect(rig.api.count(/events/)).toBe(3);
  });

  it('re-sends a batch whose answer was lost with the same key, and the server stores it once', async () => {
    rig = await makeRig();
    addEvents(rig, 5);
    rig.api.fault(/events/, { kind: 'lose-response' }, 2); // the answer and the immediate retry's answer are lost
    const first = await rig.client.syncNow();
    expect(first.error?.code).toBe('NETWORK');
    expect(rig.store.pendingEvents(10)).toHaveLength(5); // not marked: the device cannot know it arrived
    expect(rig.api.storedEvents).toHaveLength(5); // ... but it did
    const second = await rig.client.syncNow();
    expect(second.ok).toBe(true);
    const posts = rig.api.requests.filter((q) => q.path === '/api/device/events');
    expect(posts).toHaveLength(3);
    for (const p of posts.slice(1)) {
      expect(p.headers['idempotency-key']).toBe(posts[0]!.headers['idempotency-key']);
      expect(p.body).toBe(posts[0]!.body);
    }
    expect(rig.api.storedEvents).toHaveLength(5);
    expect(rig.store.pendingEvents(10)).toHaveLength(0);
  });

  it('sends colours, reasons, times and directions, never pass ids; hashes only when the policy allows', async () => {
    rig = await makeRig();
    const passIds = addEvents(rig, 3);
    await rig.client.syncNow();
    const body = rig.api.requests.find((q) => q.path === '/api/device/events')!.body!;
    for (const id of passIds) expect(body).not.toContain(id);
    const sent = (JSON.parse(body) as { events: Record<string, unknown>[] }).events;
    expect(sent[0]).toEqual({
      at: T0_S,
      colour: 'red',
      reason: 'REVOKED',
      passHash: null,
      direction: 'in',
      opened: false,
      notPassed: false,
    });
    expect(sent.every((e) => e['passHash'] === null)).toBe(true);
    rig.close();

    rig = await makeRig({ options: { uploadPassHashes: true } });
    const ids = addEvents(rig, 2);
    await rig.client.syncNow();
    const withHashes = (
      JSON.parse(rig.api.requests.find((q) => q.path === '/api/device/events')!.body!) as {
        events: { passHash: string }[];
      }
    ).events;
    expect(withHashes.map((e) => e.passHash)).toEqual(ids.map((id) => rig.store.passHash(id)));
  });

  it('sends an annulled grant again under a new key, so the server stores the change instead of a conflict', async () => {
    rig = await makeRig();
    const eventId = rig.store.addEvent({
      at: T0_S,
      colour: 'green',
      reason: 'OK',
      passHash: null,
      direction: 'in',
      opened: true,
    });
    await rig.client.syncNow();
    const granted = rig.api.storedEvents.length;
    rig.store.markNotPassed(eventId); // the same single event is queued again, changed
    const r = await rig.client.syncNow();
    expect(r.ok).toBe(true);
    expect(rig.api.storedEvents).toHaveLength(granted + 1);
    expect(rig.api.storedEvents.at(-1)).toMatchObject({ colour: 'green', notPassed: true });
    const keys = rig.api.requests
      .filter((q) => q.path === '/api/device/events')
      .map((q) => q.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(2);
  });

  it('drops a batch the server refuses as such (400/409/413) instead of blocking the queue, and counts it', async () => {
    rig = await makeRig();
    addEvents(rig, 3);
    rig.api.fault(/events/, { kind: 'status', status: 400 });
    const r = await rig.client.syncNow();
    expect(r.ok).toBe(true);
    expect(rig.store.pendingEvents(10)).toHaveLength(0);
    expect(rig.store.counters()['sync_events_refused']).toBe(3);
    expect(rig.api.heartbeats).toHaveLength(1);
  });

  it('keeps a batch queued when the server fails (5xx) and sends it next time', async () => {
    rig = await makeRig();
    addEvents(rig, 3);
    rig.api.fault(/events/, { kind: 'status', status: 503 });
    expect((await rig.client.syncNow()).error?.code).toBe('HTTP_STATUS');
    expect(rig.store.pendingEvents(10)).toHaveLength(3);
    expect((await rig.client.syncNow()).ok).toBe(true);
    expect(rig.api.storedEvents).toHaveLength(3);
  });

  it('sends the counters (including sync rejections) with the heartbeat', async () => {
    rig = await makeRig();
    rig.store.bump('entries', 4);
    rig.store.bump('sync_reject:BAD_SIGNATURE');
    await rig.client.syncNow();
    expect(rig.api.heartbeats[0]!['counters']).toMatchObject({ entries: 4, 'sync_reject:BAD_SIGNATURE': 1 });
  });
});
