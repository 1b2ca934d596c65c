// The server's push streams and remote commands, in process on a manual clock: the stream's frames, pings,
// a command answered by the device's ack, no answer in time, a newer stream replacing an older one, and the
// refusals (offline, ambiguous, bad query, no token).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyRemoteLockdown, verifyRemoteOpen } from '../../protocol/remote-open.js';
import { decodePublicKey } from '../../protocol/index.js';
import { parseSse } from '../../device/sync/push.js';
import type { PushEvent } from '../../device/sync/push.js';
import { cleanup, enrolDevice, openTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

let s: TestServer;
beforeEach(() => {
  s = openTestServer({ push: { heartbeatSeconds: 15 } });
});
afterEach(() => {
  s.services.push.closeAll();
  s.close();
  cleanup(s.dir);
});

/** Open a device's stream in process; frames are read as they come. */
async function stream(token: string, query = 'site=north&gate=n1&lockdown=0') {
  const res = await s.device(token, 'GET', `/api/device/push?${query}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: PushEvent[] = [];
  let ended = false;
  let pings = 0;
  void (async () => {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      buffer += decoder.decode(r.value, { stream: true });
      pings += buffer.split(': ping\n\n').length - 1;
      const out = parseSse(buffer.replaceAll(': ping\n\n', ''));
      frames.push(...out.frames);
      buffer = out.rest;
    }
    ended = true;
  })();
  const tick = () => new Promise((r) => setTimeout(r, 5));
  return {
    frames,
    ended: () => ended,
    pings: () => pings,
    async next(n: number): Promise<PushEvent> {
      while (frames.length < n) await tick();
      return frames[n - 1] as PushEvent;
    },
    cancel: () => reader.cancel(),
  };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe('push streams', () => {
  it('says hello, pings on the heartbeat, and carries a signed command the ack answers', async () => {
    const dev = await enrolDevice(s);
    const st = await stream(dev.token);
    expect(await st.next(1)).toEqual({ event: 'hello', id: null, data: '{"heartbeatSeconds":15}' });
    s.clock.advance(15_000);
    await until(() => st.pings() === 1);
    expect(s.services.push.connected()).toEqual([
      expect.objectContaining({ deviceId: dev.deviceId, site: 'north', gate: 'n1', lockdown: false }),
    ]);

    const pending = s.admin('POST', '/api/admin/gates/open', { gate: 'n1' });
    const cmd = await st.next(2);
    expect(cmd.event).toBe('command');
    const body = JSON.parse(cmd.data) as { id: string; kind: string; command: string };
    expect(cmd.id).toBe(body.id);
    expect(body.kind).toBe('open');
    const root = decodePublicKey(dev.rootPublicKey);
    const signed = verifyRemoteOpen(new Uint8Array(Buffer.from(body.command, 'base64url')), root);
    expect(signed).toMatchObject({ site: 'north', gate: 'n1', expiresAt: signed.issuedAt + 5 });
    // Another device cannot answer for it; the gate's own ack can.
    const other = await enrolDevice(s, 'gate-2');
    const stray = await s.device(other.token, 'POST', '/api/device/push/ack', { id: body.id, ok: false });
    expect(await stray.json()).toEqual({ matched: false });
    const ack = await s.device(dev.token, 'POST', '/api/device/push/ack', { id: body.id, ok: true, lockdown: false });
    expect(await ack.json()).toEqual({ matched: true });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ result: 'done', deviceId: dev.deviceId, reason: null });
  });

  it('answers unconfirmed when the gate does not ack in time, and signs lockdown commands as such', async () => {
    const dev = await enrolDevice(s);
    const st = await stream(dev.token);
    await st.next(1);
    const pending = s.admin('POST', '/api/admin/gates/lockdown', { gate: 'n1', site: 'north', on: true });
    const cmd = JSON.parse((await st.next(2)).data) as { kind: string; command: string };
    expect(cmd.kind).toBe('lockdown');
    const bytes = new Uint8Array(Buffer.from(cmd.command, 'base64url'));
    expect(verifyRemoteLockdown(bytes, decodePublicKey(dev.rootPublicKey))).toMatchObject({ on: true });
    expect(() => verifyRemoteOpen(bytes, decodePublicKey(dev.rootPublicKey))).toThrow();
    s.clock.advance(3000);
    expect(await (await pending).json()).toMatchObject({ result: 'unconfirmed', reason: null });
  });

  it('closes the older stream when the device connects again, and forgets a stream the device closed', async () => {
    const dev = await enrolDevice(s);
    const first = await stream(dev.token);
    await first.next(1);
    const second = await stream(dev.token, 'site=north&gate=n2');
    await second.next(1);
    await until(() => first.ended());
    expect(s.services.push.connected().map((c) => c.gate)).toEqual(['n2']);
    await second.cancel();
    await until(() => s.services.push.connected().length === 0);
  });

  it('refuses an offline gate, a gate name online at two sites, a bad query and a missing token', async () => {
    const offline = await s.admin('POST', '/api/admin/gates/open', { gate: 'n1' });
    expect(offline.status).toBe(409);
    expect(await offline.json()).toEqual({ error: 'GATE_OFFLINE', detail: 'not-connected' });
    const a = await enrolDevice(s, 'a');
    const b = await enrolDevice(s, 'b');
    await (await stream(a.token, 'site=north&gate=n1')).next(1);
    await (await stream(b.token, 'site=south&gate=n1')).next(1);
    const ambiguous = await s.admin('POST', '/api/admin/gates/open', { gate: 'n1' });
    expect(ambiguous.status).toBe(409);
    expect(await ambiguous.json()).toEqual({ error: 'GATE_AMBIGUOUS', detail: 'site' });
    expect((await s.device(a.token, 'GET', '/api/device/push?site=north')).status).toBe(400);
    expect((await s.device(a.token, 'GET', '/api/device/push?site=no%20rth&gate=n1')).status).toBe(400);
    expect((await s.app.request('/api/device/push?site=north&gate=n1')).status).toBe(401);
    const audit = (await (await s.admin('GET', '/api/admin/audit')).json()) as {
      entries: { action: string; details: { result?: string } | null }[];
    };
    expect(audit.entries.filter((e) => e.action === 'gate.open').map((e) => e.details?.result)).toEqual([
      'GATE_AMBIGUOUS',
      'GATE_OFFLINE',
    ]);
  });
});
