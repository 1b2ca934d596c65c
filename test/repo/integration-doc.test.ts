// The webhook verification example in docs/integration.md, run as written: it accepts a delivery the server
// signed and refuses a tampered body, another secret and an old timestamp.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { signWebhook } from '../../sync-server/webhooks/signature.js';

it('the documented verifier agrees with the server’s signature', async () => {
  const doc = fs.readFileSync(path.resolve('docs/integration.md'), 'utf8');
  const code = /```js verify-webhook\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(code).toBeDefined();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-doc-'));
  try {
    const file = path.join(dir, 'verify.mjs');
    fs.writeFileSync(file, code!);
    const { verifyGatecodeWebhook } = (await import(pathToFileURL(file).href)) as {
      verifyGatecodeWebhook: (secret: string, header: string, body: string, tolerance?: number) => boolean;
    };
    const body = '{"id":"e1","type":"alarm.raised","createdAt":1,"data":{"kind":"door-forced"}}';
    const now = Math.floor(Date.now() / 1000);
    const header = signWebhook('whsec_doc', now, body);
    expect(verifyGatecodeWebhook('whsec_doc', header, body)).toBe(true);
    expect(verifyGatecodeWebhook('whsec_doc', header, body.replace('forced', 'closed'))).toBe(false);
    expect(verifyGatecodeWebhook('whsec_other', header, body)).toBe(false);
    expect(verifyGatecodeWebhook('whsec_doc', signWebhook('whsec_doc', now - 600, body), body)).toBe(false);
    expect(verifyGatecodeWebhook('whsec_doc', 't=1', body)).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
