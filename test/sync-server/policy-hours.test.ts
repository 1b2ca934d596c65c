// Opening hours through the admin API: set, shown in their written form, signed into the next bundle a device
// fetches; bad hours are a 400 naming every problem by code and path, with nothing changed.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePublicKey, hoursOpenAt, verifyBundle } from '../../protocol/index.js';
import type { TrustBundle } from '../../protocol/index.js';
import { bytesOf, cleanup, enrolDevice, openTestServer, type TestServer } from '../support/server.js';

let s: TestServer;
afterEach(() => {
  s.close();
  cleanup(s.dir);
});

async function served(srv: TestServer, token: string): Promise<TrustBundle> {
  const root = decodePublicKey(fs.readFileSync(path.join(srv.dir, 'keys', 'root.pub'), 'utf8'));
  return verifyBundle(await bytesOf(await srv.device(token, 'GET', '/api/device/bundle')), root);
}

const HOURS = {
  timeZone: 'Europe/Berlin',
  weekly: { mon: ['13:00-18:00', '08:00-12:00'], sat: ['22:00-02:00'] },
  holidays: ['2027-12-25'],
  scopes: { staff: { weekly: { mon: ['00:00-24:00'] } } },
};

describe('admin API: opening hours', () => {
  it('signs the hours into the next bundle; the GET shows them sorted and complete; null removes them', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const v1 = (await served(s, dev.token)).version;
    expect(((await (await s.admin('GET', '/api/admin/policy')).json()) as { hours: unknown }).hours).toBeNull();

    const res = await s.admin('PUT', '/api/admin/policy', { hours: HOURS });
    expect(res.status).toBe(200);
    const view = (await res.json()) as { hours: { weekly: Record<string, string[]> }; bundleVersion: number };
    expect(view.hours.weekly['mon']).toEqual(['08:00-12:00', '13:00-18:00']);
    expect(view.hours.weekly['tue']).toEqual([]);
    expect(view.bundleVersion).toBe(v1 + 1);

    const b = await served(s, dev.token);
    expect(b.version).toBe(v1 + 1);
    expect(b.policy.hours?.timeZone).toBe('Europe/Berlin');
    const monday0900 = Date.parse('2027-12-06T08:00:00Z') / 1000;
    expect(hoursOpenAt(b.policy.hours!, monday0900, 'main', 'all')).toBe(true);
    expect(hoursOpenAt(b.policy.hours!, monday0900 + 3.5 * 3600, 'main', 'all')).toBe(false); // 12:30
    expect(s.services.core.audit.list({ limit: 1 })[0]?.action).toBe('policy.update');

    // Another policy change keeps the hours; null removes them and the bundle has no hours field again.
    expect((await s.admin('PUT', '/api/admin/policy', { maxOfflineAgeSeconds: 7200 })).status).toBe(200);
    expect((await served(s, dev.token)).policy.hours).toBeDefined();
    expect((await s.admin('PUT', '/api/admin/policy', { hours: null })).status).toBe(200);
    const after = await served(s, dev.token);
    expect('hours' in after.policy).toBe(false);
    expect(((await (await s.admin('GET', '/api/admin/policy')).json()) as { hours: unknown }).hours).toBeNull();
  });

  it('refuses bad hours with every problem coded, and changes nothing', async () => {
    s = openTestServer();
    const dev = await enrolDevice(s);
    const v1 = (await served(s, dev.token)).version;
    const bad = await s.admin('PUT', '/api/admin/policy', {
      maxOfflineAgeSeconds: 600,
      hours: { timeZone: 'Europe/Nowhere', weekly: { mon: ['08:00-12:00', '11:00-13:00'] }, holidays: ['2027-02-30'] },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'VALIDATION_FAILED',
      detail: 'hours:TIME_ZONE@timeZone,OVERLAP@weekly.mon,DATE@holidays[0]',
    });
    const shape = await s.admin('PUT', '/api/admin/policy', { hours: '08:00-18:00' });
    expect(await shape.json()).toEqual({ error: 'VALIDATION_FAILED', detail: 'hours:SHAPE@hours,TIME_ZONE@timeZone' });
    expect((await served(s, dev.token)).version).toBe(v1);
    const view = (await (await s.admin('GET', '/api/admin/policy')).json()) as Record<string, unknown>;
    expect(view['maxOfflineAgeSeconds']).not.toBe(600);
  });
});
