// The webhook worker: sends due deliveries from the outbox (webhook_deliveries), signs each attempt afresh
// (signature.ts), logs every attempt (status, latency, error) and retries failures with exponential backoff and
// jitter until `maxAttempts`, after which the delivery is marked failed. Runs on the server's injected clock, beside
// the requests: no request ever waits for a receiver. Redirects are not followed (a hook names its final URL).
import type { CancelTimer } from '../../common/clock.js';
import type { ServerCore } from '../core.js';
import type { WebhookService } from './service.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';

export type WebhookFetch = (url: string, init: RequestInit) => Promise<Response>;

interface DueRow {
  id: number;
  hook_id: string;
  event_id: string;
  event_type: string;
  body: string;
  attempts: number;
  url: string | null;
}

/** At most this many deliveries are sent at once. */
const PARALLEL = 8;
/** When nothing is due, the worker still looks again this often (a delivery queued by another process). */
const IDLE_MS = 60_000;

export class WebhookDispatcher {
  private running = false;
  private timer: CancelTimer | null = null;
  private pass: Promise<void> | null = null;
  private again = false;
  private readonly stopper = new AbortController();
  private readonly fetchFn: WebhookFetch;
  private readonly random: () => number;

  constructor(
    private readonly core: ServerCore,
    private readonly hooks: WebhookService,
    opts: { fetch?: WebhookFetch; random?: () => number } = {},
  ) {
    this.fetchFn = opts.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.hooks.onQueued = () => this.wake();
    this.wake();
  }

  /** Stop sending; attempts in flight are aborted (they are retried after the next start). */
  async stop(): Promise<void> {
    this.running = false;
    this.hooks.onQueued = () => {};
    this.timer?.();
    this.timer = null;
    this.stopper.abort();
    await this.pass?.catch(() => undefined);
  }

  /** Resolves when no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.pass) await this.pass.catch(() => undefined);
  }

  wake(): void {
    if (!this.running) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.timer?.();
    this.timer = null;
    this.pass = this.run()
      .catch((err: unknown) => this.core.log.error({ err: (err as Error).message }, 'webhook worker failed'))
      .finally(() => {
        this.pass = null;
        if (!this.running) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.scheduleNext();
      });
  }

  private scheduleNext(): void {
    if (!this.core.db.open) return;
    const next = this.core.db
      .prepare("SELECT MIN(next_at) FROM webhook_deliveries WHERE status = 'pending'")
      .pluck()
      .get() as number | null;
    const delay = next === null ? IDLE_MS : Math.min(IDLE_MS, Math.max(0, next - this.core.clock()));
    this.timer = this.core.time.setTimer(delay, () => {
      this.timer = null;
      this.wake();
    });
  }

  private async run(): Promise<void> {
    while (this.running && this.core.db.open) {
      const due = this.core.db
        .prepare(
          `SELECT d.id, d.hook_id, d.event_id, d.event_type, d.body, d.attempts, w.url FROM webhook_deliveries d
           LEFT JOIN webhooks w ON w.id = d.hook_id
           WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.next_at LIMIT ?`,
        )
        .all(this.core.clock(), PARALLEL) as DueRow[];
      if (due.length === 0) return;
      await Promise.all(due.map((row) => this.deliver(row)));
    }
  }

  private async deliver(row: DueRow): Promise<void> {
    const secret = this.hooks.secretOf(row.hook_id);
    if (row.url === null || secret === null) return; // the hook was removed: its deliveries went with it
    const { timeoutMs } = this.core.config.webhooks;
    const t = Math.floor(this.core.clock() / 1000);
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.fetchFn(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'gatecode-webhooks/1',
          [SIGNATURE_HEADER.toLowerCase()]: signWebhook(secret, t, row.body),
          'x-gatecode-event': row.event_type,
          'x-gatecode-delivery': row.event_id,
        },
        body: row.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopper.signal]),
      });
      statusCode = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status > 299) error = `HTTP_${res.status}`;
    } catch (err) {
      error = failureName(err);
    }
    if (!this.running && error !== null) return; // aborted by stop(): not an attempt of the receiver's
    this.record(row, t, statusCode, Math.round(performance.now() - started), error);
  }

  private record(row: DueRow, at: number, statusCode: number | null, latencyMs: number, error: string | null): void {
    if (!this.core.db.open) return;
    const { maxAttempts, retryBaseMs, retryMaxMs } = this.core.config.webhooks;
    const attempts = row.attempts + 1;
    this.core.change({ durable: false }, (now) => {
      this.core.db
        .prepare('INSERT INTO webhook_attempts (delivery_id, at, status_code, latency_ms, error) VALUES (?, ?, ?, ?, ?)')
        .run(row.id, at, statusCode, latencyMs, error);
      if (error === null) {
        this.core.db
          .prepare("UPDATE webhook_deliveries SET status = 'delivered', attempts = ?, finished_at = ? WHERE id = ?")
          .run(attempts, now, row.id);
      } else if (attempts >= maxAttempts) {
        this.core.db
          .prepare("UPDATE webhook_deliveries SET status = 'failed', attempts = ?, finished_at = ? WHERE id = ?")
          .run(attempts, now, row.id);
        this.core.log.warn({ hook: row.hook_id, event: row.event_type, attempts }, 'webhook delivery given up');
      } else {
        const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts - 1, 30));
        // Full range jitter in the upper half: receivers that failed together do not get their retries together.
        const delay = Math.round(ceiling * (0.5 + 0.5 * this.random()));
        this.core.db
          .prepare('UPDATE webhook_deliveries SET attempts = ?, next_at = ? WHERE id = ?')
          .run(attempts, this.core.clock() + delay, row.id);
      }
    });
  }
}

/** A short reason for a failed attempt: a system code or `TIMEOUT`; never the receiver's body. */
function failureName(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'TIMEOUT';
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return 'NETWORK';
}
