// A webhook receiver on 127.0.0.1 as an integrator would write one: it reads the raw body, checks the signature
// with the hook's secret (verifyWebhook, 5-minute window) and records every request. `failNext(n, match)` makes it
// answer 500 to the next n requests whose body matches, on purpose, so the sender's retries can be watched.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifyWebhook } from '../../sync-server/webhooks/signature.js';
import type { SignatureCheck } from '../../sync-server/webhooks/signature.js';

export interface ReceivedHook {
  readonly at: number;
  readonly event: string | undefined;
  readonly delivery: string | undefined;
  readonly body: string;
  readonly json: { id: string; type: string; createdAt: number; data: Record<string, unknown> };
  readonly check: SignatureCheck;
  readonly answered: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedHook[];
  secret: string;
  failNext(count: number, match: (body: string) => boolean): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  let failures: { left: number; match: (body: string) => boolean } = { left: 0, match: () => false };
  const state = { secret: '' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = req.headers[SIGNATURE_HEADER.toLowerCase()];
      const check = verifyWebhook(state.secret, typeof header === 'string' ? header : null, body, Date.now() / 1000);
      let answered = check.ok ? 204 : 401;
      if (check.ok && failures.left > 0 && failures.match(body)) {
        failures.left -= 1;
        answered = 500;
      }
      received.push({
        at: performance.now(),
        event: req.headers['x-gatecode-event'] as string | undefined,
        delivery: req.headers['x-gatecode-delivery'] as string | undefined,
        body,
        json: JSON.parse(body) as ReceivedHook['json'],
        check,
        answered,
      });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    get secret() {
      return state.secret;
    },
    set secret(v: string) {
      state.secret = v;
    },
    failNext(count, match) {
      failures = { left: count, match };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
