import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GreyFrame } from '../../../hardware/camera/types.js';
import { createFrameEncoder } from '../../../device/status/frame-png.js';
import { StatusHub } from '../../../device/status/hub.js';
import { startStatusServer, type StatusServer } from '../../../device/status/server.js';
import { ManualClock } from '../../support/clock.js';
import { openSse, type SseClient } from './sse.js';

function greyFrame(seq: number, value = 128): GreyFrame {
  return { width: 64, height: 48, data: new Uint8Array(64 * 48).fill(value), timestamp: seq * 33, seq };
}

const open: (StatusServer | SseClient)[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function start(
  opts: { token?: string | null; frameIntervalMs?: number; maxStreams?: number; clock?: ManualClock } = {},
) {
  const hub = new StatusHub({ now: () => 1_800_000_000 });
  const server = await startStatusServer({
    port: 0,
    token: opts.token === undefined ? 'local-secret' : opts.token,
    hub,
    frameIntervalMs: opts.frameIntervalMs ?? 0,
    maxStreams: opts.maxStreams,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  open.push(server);
  return { hub, server, url: (p: string) => new URL(p, server.url).toString() };
}

describe('status server', () => {
  it('serves the page and its assets with a strict content security policy', async () => {
    const { url } = await start();
    const page = await fetch(url('/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/status.js">');
    expect((await fetch(url('/status.js'))).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(url('/status.css'))).status).toBe(200);
    const reasons = (await (await fetch(url('/api/reasons'))).json()) as Record<string, string>;
    expect(reasons['REVOKED']).toBe('pass revoked');
    expect(reasons['PASSBACK']).toBeTruthy();
    const missing = await fetch(url('/nope'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'NOT_FOUND' });
    expect((await fetch(url('/'), { method: 'DELETE' })).status).toBe(405);
  });

  it('answers the status as JSON and streams changes as server-sent events', async () => {
    const { hub, url } = await start();
    hub.update({ identity: { site: 'north' } });
    const json = (await (await fetch(url('/api/status'))).json()) as { identity: { site: string }; now: number };
    expect(json.identity.site).toBe('north');
    expect(json.now).toBe(1_800_000_000);

    const sse = await openSse(url('/events'));
    open.push(sse);
    const first = JSON.parse((await sse.next('status')).data) as { identity: { site: string } };
    expect(first.identity.site).toBe('north');
    hub.verdict({ at: 1_800_000_000, colour: 'red', reason: 'REVOKED', opened: false });
    const second = JSON.parse((await sse.next('status')).data) as { recent: { reason: string }[] };
    expect(second.recent[0]?.reason).toBe('REVOKED');
    hub.frame(greyFrame(7), null);
    expect(JSON.parse((await sse.next('frame')).data)).toEqual({ seq: 7 });
  });

  it('limits concurrent event streams', async () => {
    const { url } = await start({ maxStreams: 1 });
    const one = await openSse(url('/events'));
    open.push(one);
    await one.next('status');
    const res = await fetch(url('/events'));
    expect(res.status).toBe(429);
  });

  it('serves the latest frame as PNG, with the decode region drawn when there is one', async () => {
    const { hub, url } = await start();
    expect((await fetch(url('/frame.png'))).status).toBe(404);

    hub.frame(greyFrame(1), null);
    const plain = await fetch(url('/frame.png'));
    expect(plain.headers.get('content-type')).toBe('image/png');
    expect(plain.headers.get('x-frame-region')).toBe('no');
    const plainMeta = await sharp(Buffer.from(await plain.arrayBuffer())).metadata();
    expect([plainMeta.width, plainMeta.height, plainMeta.channels]).toEqual([64, 48, 1]);

    hub.frame(greyFrame(2), [
      [10, 10],
      [50, 10],
      [50, 40],
      [10, 40],
    ]);
    const marked = await fetch(url('/frame.png'));
    expect(marked.headers.get('x-frame-seq')).toBe('2');
    expect(marked.headers.get('x-frame-region')).toBe('yes');
    const { data, info } = await sharp(Buffer.from(await marked.arrayBuffer()))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    const [r, g, b] = at(30, 10); // on the top edge of the region
    expect(g).toBeGreaterThan(180);
    expect(r).toBeLessThan(80);
    expect(b).toBeLessThan(140);
    expect(at(30, 25)).toEqual([128, 128, 128]); // inside, untouched
  });

  it('encodes at most once per interval and shares one encode between concurrent requests', async () => {
    let clock = 0;
    let latest = { frame: greyFrame(1), corners: null };
    const source = vi.fn(() => latest);
    const enc = createFrameEncoder(source, { minIntervalMs: 500, clock: () => clock });
    const [a, b] = await Promise.all([enc.png(), enc.png()]);
    expect(a?.seq).toBe(1);
    expect(b?.bytes).toBe(a?.bytes);
    expect(source).toHaveBeenCalledTimes(1);
    latest = { frame: greyFrame(2), corners: null };
    clock = 499;
    expect((await enc.png())?.seq).toBe(1);
    clock = 500;
    expect((await enc.png())?.seq).toBe(2);
  });

  it('pulses the relay only with the local token, rate-limited', async () => {
    const { hub, url } = await start();
    const post = (auth?: string) =>
      fetch(url('/api/pulse'), { method: 'POST', headers: auth ? { authorization: auth } : {} });
    expect((await post('Bearer local-secret')).status).toBe(503); // no runtime listening yet
    const pulse = vi.fn();
    hub.onPulseRequest(pulse);
    const snap = (await (await fetch(url('/api/status'))).json()) as { pulseAvailable: boolean };
    expect(snap.pulseAvailable).toBe(true);
    const noAuth = await post();
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toEqual({ error: 'UNAUTHORIZED' });
    expect((await post('Bearer local-secreT')).status).toBe(401);
    expect((await post('Bearer local-secret-and-more')).status).toBe(401);
    expect((await post('Basic local-secret')).status).toBe(401);
    expect(pulse).not.toHaveBeenCalled();
    const ok = await post('Bearer local-secret');
    expect(ok.status).toBe(200);
    expect(pulse).toHaveBeenCalledTimes(1);
    const again = await post('Bearer local-secret');
    expect(again.status).toBe(429);
    expect(pulse).toHaveBeenCalledTimes(1);
    expect((await fetch(url('/api/pulse'))).status).toBe(405);
    const big = await fetch(url('/api/pulse'), {
      method: 'POST',
      headers: { authorization: 'Bearer local-secret' },
      body: 'x'.repeat(4096),
    });
    expect(big.status).toBe(413);
  });

  it('refreshes the stream and releases the pulse rate limit on the injected clock', async () => {
    const clock = new ManualClock(0);
    const { hub, url } = await start({ clock });
    const sse = await openSse(url('/events'));
    open.push(sse);
    await sse.next('status');
    clock.advance(5000); // the 5 s refresh, although nothing changed
    expect(JSON.parse((await sse.next('status')).data)).toHaveProperty('now');
    const pulse = vi.fn();
    hub.onPulseRequest(pulse);
    const post = () => fetch(url('/api/pulse'), { method: 'POST', headers: { authorization: 'Bearer local-secret' } });
    expect((await post()).status).toBe(200);
    clock.advance(1999);
    expect((await post()).status).toBe(429);
    clock.advance(1);
    expect((await post()).status).toBe(200);
    expect(pulse).toHaveBeenCalledTimes(2);
  });

  it('refuses every pulse when no local token is configured', async () => {
    const { hub, url } = await start({ token: null });
    const pulse = vi.fn();
    hub.onPulseRequest(pulse);
    const res = await fetch(url('/api/pulse'), { method: 'POST', headers: { authorization: 'Bearer ' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'PULSE_DISABLED' });
    expect(((await (await fetch(url('/api/status'))).json()) as { pulseAvailable: boolean }).pulseAvailable).toBe(
      false,
    );
    expect(pulse).not.toHaveBeenCalled();
  });
});
