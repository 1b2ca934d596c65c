// Webhooks: hooks configured by an administrator (URL, event types, a per-hook secret), the outbox of deliveries
// and the delivery log. emit() only inserts rows (inside the caller's transaction when there is one): it never
// waits for a receiver. The dispatcher (dispatcher.ts) sends them with retries.
// The secret is generated here, shown once in the answer to `add`, and kept in the database as such: it must sign
// every delivery, so a hash would not do. The database file is owner-only (0600, in the 0700 data directory).
// Hooks are configured by administrators only; the URL must be http(s) (no file:, data:, …), see docs/server.md.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { ServerCore } from '../core.js';
import { DomainError } from '../errors.js';
import { randomId } from '../secrets.js';

/** Event types a hook may subscribe to (docs/integration.md lists their payloads). */
export const WEBHOOK_EVENT_TYPES = [
  'alarm.raised',
  'alarm.cleared',
  'alarm.acknowledged',
  'pass.revoked',
  'device.enrolled',
  'device.revoked',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Sent only by `test`, to the one hook tested, whatever it subscribes to. */
export const TEST_EVENT = 'webhook.test';

export interface WebhookRecord {
  readonly id: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly createdAt: number;
  readonly createdBy: string;
}

export interface DeliveryAttempt {
  readonly at: number;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
}

export interface DeliveryRecord {
  readonly id: number;
  readonly hookId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  /** Epoch ms of the next attempt (pending only). */
  readonly nextAt: number | null;
  readonly createdAt: number;
  readonly finishedAt: number | null;
  readonly log: readonly DeliveryAttempt[];
}

interface HookRow {
  id: string;
  url: string;
  events: string;
  secret: string;
  created_at: number;
  created_by: string;
}

const toHook = (r: HookRow): WebhookRecord => ({
  id: r.id,
  url: r.url,
  events: JSON.parse(r.events) as WebhookEventType[],
  createdAt: r.created_at,
  createdBy: r.created_by,
});

/** A URL a hook may use: http or https, no credentials in it. Throws VALIDATION_FAILED (detail `url`). */
export function checkHookUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DomainError('VALIDATION_FAILED', { detail: 'url' });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '')
    throw new DomainError('VALIDATION_FAILED', { detail: 'url' });
  return url.href;
}

export class WebhookService {
  /** Called after deliveries were queued (the dispatcher wakes up). */
  onQueued: () => void = () => {};

  constructor(private readonly core: ServerCore) {
    // The database holds the hook secrets: owner-only, whatever the umask made of it.
    try {
      fs.chmodSync(core.dbFile, 0o600);
    } catch (err) {
      core.log.warn({ err: (err as Error).message }, 'could not make the database file owner-only');
    }
  }

  add(url: string, events: readonly WebhookEventType[], actor: string): { hook: WebhookRecord; secret: string } {
    const href = checkHookUrl(url);
    const unique = [...new Set(events)].sort();
    const secret = 'whsec_' + randomBytes(32).toString('base64url');
    return this.core.change({}, (now) => {
      const count = this.core.db.prepare('SELECT COUNT(*) FROM webhooks').pluck().get() as number;
      const max = this.core.config.webhooks.maxHooks;
      if (count >= max) throw new DomainError('TOO_MANY_WEBHOOKS', { detail: `maxHooks:${max}` });
      const id = randomId(6);
      this.core.db
        .prepare('INSERT INTO webhooks (id, url, events, secret, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, href, JSON.stringify(unique), secret, now, actor);
      this.core.audit.record(now, actor, 'webhook.add', id, { url: href, events: unique });
      return { hook: this.get(id), secret };
    });
  }

  list(): WebhookRecord[] {
    return (this.core.db.prepare('SELECT * FROM webhooks ORDER BY created_at, rowid').all() as HookRow[]).map(toHook);
  }

  get(id: string): WebhookRecord {
    const row = this.core.db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as HookRow | undefined;
    if (!row) throw new DomainError('WEBHOOK_NOT_FOUND');
    return toHook(row);
  }

  /** The hook's secret, for signing (the dispatcher); never in an admin answer after `add`. */
  secretOf(id: string): string | null {
    return (this.core.db.prepare('SELECT secret FROM webhooks WHERE id = ?').pluck().get(id) as string | undefined) ?? null;
  }

  /** Remove a hook and its deliveries (pending ones are not sent). */
  remove(id: string, actor: string): void {
    this.core.change({}, (now) => {
      const hook = this.get(id);
      this.core.db.prepare('DELETE FROM webhooks WHERE id = ?').run(id);
      this.core.audit.record(now, actor, 'webhook.remove', id, { url: hook.url });
    });
  }

  /** Queue a `webhook.test` delivery to this hook alone. */
  test(id: string, actor: string): { eventId: string } {
    return this.core.change({}, (now) => {
      this.get(id);
      const eventId = this.queue([id], TEST_EVENT, { hookId: id, by: actor }, now);
      this.core.audit.record(now, actor, 'webhook.test', id);
      return { eventId };
    });
  }

  /**
   * Queue one event for every hook subscribed to its type. Runs in the caller's transaction when there is one
   * (the event and its deliveries commit together) and never waits for a receiver. Returns the event id.
   */
  emit(type: WebhookEventType, data: Record<string, unknown>): string | null {
    const hooks = (this.core.db.prepare('SELECT id, events FROM webhooks').all() as { id: string; events: string }[])
      .filter((h) => (JSON.parse(h.events) as string[]).includes(type))
      .map((h) => h.id);
    if (hooks.length === 0) return null;
    return this.queue(hooks, type, data, this.core.now());
  }

  private queue(hookIds: readonly string[], type: string, data: Record<string, unknown>, now: number): string {
    const eventId = randomId(16);
    const body = JSON.stringify({ id: eventId, type, createdAt: now, data });
    const ins = this.core.db.prepare(
      `INSERT INTO webhook_deliveries (hook_id, event_id, event_type, body, status, attempts, next_at, created_at)
       VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`,
    );
    const nowMs = this.core.clock();
    for (const id of hookIds) ins.run(id, eventId, type, body, nowMs, now);
    this.trim();
    queueMicrotask(() => this.onQueued());
    return eventId;
  }

  /** Keep the delivery log bounded: the oldest finished deliveries beyond `keepDeliveries` go. */
  private trim(): void {
    const keep = this.core.config.webhooks.keepDeliveries;
    const count = this.core.db.prepare('SELECT COUNT(*) FROM webhook_deliveries').pluck().get() as number;
    if (count <= keep) return;
    this.core.db
      .prepare(
        `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE status <> 'pending'
         ORDER BY id LIMIT ?)`,
      )
      .run(count - keep);
  }

  /** The delivery log, newest first, with each attempt. */
  deliveries(opts: { hookId?: string | undefined; limit: number }): DeliveryRecord[] {
    const rows = this.core.db
      .prepare(
        'SELECT * FROM webhook_deliveries WHERE (@hook IS NULL OR hook_id = @hook) ORDER BY id DESC LIMIT @limit',
      )
      .all({ hook: opts.hookId ?? null, limit: opts.limit }) as {
      id: number;
      hook_id: string;
      event_id: string;
      event_type: string;
      status: DeliveryRecord['status'];
      attempts: number;
      next_at: number;
      created_at: number;
      finished_at: number | null;
    }[];
    const attempts = this.core.db.prepare(
      'SELECT at, status_code, latency_ms, error FROM webhook_attempts WHERE delivery_id = ? ORDER BY id',
    );
    return rows.map((r) => ({
      id: r.id,
      hookId: r.hook_id,
      eventId: r.event_id,
      eventType: r.event_type,
      status: r.status,
      attempts: r.attempts,
      nextAt: r.status === 'pending' ? r.next_at : null,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
      log: (
        attempts.all(r.id) as { at: number; status_code: number | null; latency_ms: number; error: string | null }[]
      ).map((a) => ({ at: a.at, statusCode: a.status_code, latencyMs: a.latency_ms, error: a.error })),
    }));
  }
}
