// Bad input gets a typed 4xx, never a 500: random JSON and random text against every route that takes a body.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, enrolDevice, openTestServer, type TestServer } from '../support/server.js';

let s: TestServer;
let deviceToken = '';
let passId = '';
beforeAll(async () => {
  s = openTestServer();
  deviceToken = (await enrolDevice(s)).token;
  const res = await s.admin('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 3600 });
  passId = ((await res.json()) as { pass: { passId: string } }).pass.passId;
});
afterAll(() => {
  s.close();
  cleanup(s.dir);
});

const routes = (): [string, string, 'admin' | 'device' | 'none'][] => [
  ['POST', '/api/admin/passes', 'admin'],
  ['POST', `/api/admin/passes/${passId}/colour`, 'admin'],
  ['PUT', '/api/admin/policy', 'admin'],
  ['POST', '/api/admin/keys/rotate', 'admin'],
  ['POST', '/api/admin/enrolments', 'admin'],
  ['POST', '/api/device/enrol', 'none'],
  ['POST', '/api/device/events', 'device'],
  ['POST', '/api/device/heartbeat', 'device'],
];

const body = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc
    .record({ colour: fc.string(), validForSeconds: fc.oneof(fc.double(), fc.integer()), scope: fc.jsonValue() })
    .map((v) => JSON.stringify(v)),
  fc
    .record({
      events: fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 3 }),
      counters: fc.jsonValue(),
    })
    .map((v) => JSON.stringify(v)),
);

describe('HTTP edge under random input', () => {
  it('answers every random body with a 2xx or a typed 4xx, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 7 }),
        body,
        fc.string({ minLength: 8, maxLength: 20 }),
        async (i, text, key) => {
          const [method, url, who] = routes()[i] as [string, string, 'admin' | 'device' | 'none'];
          const headers: Record<string, string> = {
            'Content-Type': 'application/json',
            'Idempotency-Key': key.replace(/[^A-Za-z0-9]/g, 'x'),
          };
          if (who === 'admin') headers['Authorization'] = `Bearer ${s.token}`;
          if (who === 'device') headers['Authorization'] = `Bearer ${deviceToken}`;
          const res = await s.app.request(url, { method, headers, body: text });
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(Object.keys((await res.json()) as object)).toContain('error');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers random paths and query strings without a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.webPath(), fc.webQueryParameters(), async (p, q) => {
        const res = await s.admin('GET', `/api/admin${p}?${q}`);
        expect(res.status).toBeLessThan(500);
        const dev = await s.device(deviceToken, 'GET', `/api/device/revocations?${q}`);
        expect(dev.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
