// Compatibility: the previous release's device client against the current server. The Pi and the server are
// upgraded separately, so a server change that an already-installed device cannot follow must fail here. The
// fixture holds that release's exact requests and, as data, what its client accepted in answer; this test does not
// use today's device code or today's schemas, so changing them cannot hide a break.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, openTestServer, type TestServer } from '../support/server.js';

interface Exchange {
  title: string;
  request: { method: string; path: string; headers: Record<string, string>; body?: unknown };
  answer: {
    status: number[];
    json?: Record<string, 'nonEmptyString' | 'string' | 'epochOrAbsent'>;
    signed?: { maxBytes: number };
    notModified?: true;
    errorCode?: true;
  };
  capture?: Record<string, { json: string } | { header: string }>;
}

const RELEASES = ['0.1.0'];

function load(release: string): Exchange[] {
  const url = new URL(`./fixtures/device-client-${release}.json`, import.meta.url);
  return (JSON.parse(fs.readFileSync(url, 'utf8')) as { exchanges: Exchange[] }).exchanges;
}

const fill = (text: string, vars: Record<string, string>): string =>
  text.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new Error(`fixture uses {{${k}}} before it was captured`);
    return v;
  });

/** What the 0.1.0 client did with each kind of field (device/sync/http.ts at that release). */
function accepted(kind: string, value: unknown): boolean {
  switch (kind) {
    case 'nonEmptyString':
      return typeof value === 'string' && value.length > 0;
    case 'string':
      return typeof value === 'string';
    case 'epochOrAbsent':
      return (
        value === undefined ||
        (typeof value === 'number' && Number.isFinite(value) && value > 0) ||
        (typeof value === 'string' && !Number.isNaN(Date.parse(value)))
      );
    default:
      throw new Error(`unknown acceptance kind ${kind}`);
  }
}

for (const release of RELEASES) {
  describe(`device client ${release} against the current server`, () => {
    let s: TestServer;
    const vars: Record<string, string> = {};

    beforeAll(async () => {
      s = openTestServer();
      const code = (await (await s.admin('POST', '/api/admin/enrolments', {})).json()) as { code: string };
      vars['code'] = code.code;
      // One revocation, so that `since=0` has something to send.
      const issued = (await (
        await s.admin('POST', '/api/admin/passes', { colour: 'green', validForSeconds: 3600 })
      ).json()) as {
        pass: { passId: string };
      };
      expect((await s.admin('POST', `/api/admin/passes/${issued.pass.passId}/revoke`)).status).toBe(200);
    });
    afterAll(() => {
      s.close();
      cleanup(s.dir);
    });

    for (const ex of load(release)) {
      it(ex.title, async () => {
        const headers = Object.fromEntries(Object.entries(ex.request.headers).map(([k, v]) => [k, fill(v, vars)]));
        const res = await s.app.request(fill(ex.request.path, vars), {
          method: ex.request.method,
          headers,
          ...(ex.request.body === undefined ? {} : { body: fill(JSON.stringify(ex.request.body), vars) }),
        });
        const bytes = new Uint8Array(await res.arrayBuffer());
        const text = new TextDecoder().decode(bytes);
        expect(ex.answer.status, `status ${res.status}: ${text.slice(0, 200)}`).toContain(res.status);

        let json: Record<string, unknown> | null = null;
        if (ex.answer.json || ex.answer.errorCode) {
          const parsed = JSON.parse(text) as unknown;
          json = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
        }
        if (ex.answer.json) {
          expect(json, 'the old client needs a JSON object').not.toBeNull();
          for (const [field, kind] of Object.entries(ex.answer.json)) {
            expect(accepted(kind, json?.[field]), `${field} as ${kind}: ${JSON.stringify(json?.[field])}`).toBe(true);
          }
        }
        if (ex.answer.signed) {
          expect(bytes.length).toBeGreaterThan(0);
          expect(bytes.length).toBeLessThanOrEqual(ex.answer.signed.maxBytes);
        }
        if (ex.answer.notModified) expect(bytes.length).toBe(0);
        if (ex.answer.errorCode) expect(String(json?.['error'])).toMatch(/^[A-Z][A-Z0-9_]{0,47}$/);

        for (const [name, from] of Object.entries(ex.capture ?? {})) {
          const v = 'json' in from ? json?.[from.json] : res.headers.get(from.header);
          expect(typeof v, `capture ${name}`).toBe('string');
          vars[name] = v as string;
        }
      });
    }
  });
}
