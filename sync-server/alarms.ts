// Alarms from devices: each raise is one row, closed by its clear; an administrator acknowledges it (who, when,
// in the audit log). Transitions arrive at once from the device (POST /api/device/alarms), idempotent by the
// device's event id; each new one is handed to the webhooks. Bounded: a quota per device (a token bucket counted in
// transitions, like events) and `alarms.maxStored` rows in all (the oldest acknowledged, then cleared, go first).
import type { AlarmBatch, AlarmBatchAnswer } from '../protocol/api/device.js';
import type { ServerCore } from './core.js';
import { DomainError } from './errors.js';
import { RateLimiter } from './rate-limit.js';
import type { WebhookService } from './webhooks/service.js';

export interface AlarmRecord {
  readonly id: number;
  readonly deviceId: string;
  readonly deviceName: string | null;
  readonly kind: string;
  /** Device clock, epoch seconds; null when only the clear reached the server. */
  readonly raisedAt: number | null;
  readonly clearedAt: number | null;
  /** Server clock, epoch seconds. */
  readonly receivedAt: number;
  readonly acknowledgedAt: number | null;
  readonly acknowledgedBy: string | null;
  /** open: not acknowledged yet (whether or not it cleared); acknowledged. */
  readonly status: 'open' | 'acknowledged';
  readonly active: boolean;
}

export interface AlarmQuery {
  readonly status?: 'open' | 'acknowledged' | 'all' | undefined;
  readonly deviceId?: string | undefined;
  readonly kind?: string | undefined;
  readonly limit: number;
}

interface AlarmRow {
  id: number;
  device_id: string;
  name: string | null;
  kind: string;
  raised_at: number | null;
  cleared_at: number | null;
  received_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
}

const toAlarm = (r: AlarmRow): AlarmRecord => ({
  id: r.id,
  deviceId: r.device_id,
  deviceName: r.name,
  kind: r.kind,
  raisedAt: r.raised_at,
  clearedAt: r.cleared_at,
  receivedAt: r.received_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
  status: r.acknowledged_at === null ? 'open' : 'acknowledged',
  active: r.raised_at !== null && r.cleared_at === null,
});

/** Event ids are remembered this long for de-duplication (a device resends within minutes, not months). */
const ID_RETENTION_SECONDS = 30 * 86400;

export class AlarmService {
  private readonly quota: RateLimiter;

  constructor(
    private readonly core: ServerCore,
    private readonly webhooks: WebhookService,
  ) {
    this.quota = new RateLimiter(core.config.alarms.perDevice, core.clock);
  }

  /** Store a batch of transitions from `deviceId`; ids already held count as duplicates. */
  receive(deviceId: string, batch: AlarmBatch): AlarmBatchAnswer {
    const db = this.core.db;
    const seen = db.prepare('SELECT 1 FROM alarm_event_ids WHERE device_id = ? AND event_id = ?');
    const fresh = batch.alarms.filter((e) => seen.get(deviceId, e.id) === undefined);
    const duplicates = batch.alarms.length - fresh.length;
    if (fresh.length === 0) return { accepted: 0, duplicates };
    const wait = this.quota.take(deviceId, Math.min(fresh.length, this.core.config.alarms.perDevice.burst));
    if (wait > 0) throw new DomainError('EVENT_QUOTA', { retryAfter: wait });
    return this.core.change({}, (now) => {
      this.makeRoom(now, fresh.length);
      const name =
        (db.prepare('SELECT name FROM devices WHERE id = ?').pluck().get(deviceId) as string | null | undefined) ??
        null;
      const remember = db.prepare('INSERT INTO alarm_event_ids (device_id, event_id, received_at) VALUES (?, ?, ?)');
      for (const e of fresh) {
        remember.run(deviceId, e.id, now);
        let alarmId: number;
        if (e.state === 'raised') {
          alarmId = Number(
            db
              .prepare('INSERT INTO alarms (device_id, kind, raised_at, received_at) VALUES (?, ?, ?, ?)')
              .run(deviceId, e.kind, e.at, now).lastInsertRowid,
          );
        } else {
          const open = db
            .prepare(
              `SELECT id FROM alarms WHERE device_id = ? AND kind = ? AND cleared_at IS NULL AND raised_at IS NOT NULL
               ORDER BY id DESC LIMIT 1`,
            )
            .pluck()
            .get(deviceId, e.kind) as number | undefined;
          if (open !== undefined) {
            db.prepare('UPDATE alarms SET cleared_at = ? WHERE id = ?').run(e.at, open);
            alarmId = open;
          } else {
            alarmId = Number(
              db
                .prepare('INSERT INTO alarms (device_id, kind, cleared_at, received_at) VALUES (?, ?, ?, ?)')
                .run(deviceId, e.kind, e.at, now).lastInsertRowid,
            );
          }
        }
        this.webhooks.emit(e.state === 'raised' ? 'alarm.raised' : 'alarm.cleared', {
          alarmId,
          deviceId,
          deviceName: name,
          kind: e.kind,
          at: e.at,
          receivedAt: now,
        });
      }
      return { accepted: fresh.length, duplicates };
    });
  }

  /** Within maxStored: forget old event ids, then drop the oldest acknowledged, then the oldest cleared alarms. */
  private makeRoom(now: number, adding: number): void {
    const db = this.core.db;
    db.prepare(
      `DELETE FROM alarm_event_ids WHERE (device_id, event_id) IN
       (SELECT device_id, event_id FROM alarm_event_ids WHERE received_at < ? ORDER BY received_at LIMIT 1000)`,
    ).run(now - ID_RETENTION_SECONDS);
    const max = this.core.config.alarms.maxStored;
    let over = (db.prepare('SELECT COUNT(*) FROM alarms').pluck().get() as number) + adding - max;
    if (over <= 0) return;
    over -= db
      .prepare(
        'DELETE FROM alarms WHERE id IN (SELECT id FROM alarms WHERE acknowledged_at IS NOT NULL ORDER BY id LIMIT ?)',
      )
      .run(over).changes;
    if (over > 0)
      over -= db
        .prepare('DELETE FROM alarms WHERE id IN (SELECT id FROM alarms WHERE cleared_at IS NOT NULL ORDER BY id LIMIT ?)')
        .run(over).changes;
    if (over > 0) throw new DomainError('EVENT_STORAGE_FULL', { detail: `alarms:${max}` });
  }

  list(q: AlarmQuery): AlarmRecord[] {
    const status = q.status ?? 'open';
    const rows = this.core.db
      .prepare(
        `SELECT a.*, d.name FROM alarms a LEFT JOIN devices d ON d.id = a.device_id
         WHERE (@status = 'all' OR (@status = 'open' AND a.acknowledged_at IS NULL)
                OR (@status = 'acknowledged' AND a.acknowledged_at IS NOT NULL))
           AND (@device IS NULL OR a.device_id = @device) AND (@kind IS NULL OR a.kind = @kind)
         ORDER BY a.id DESC LIMIT @limit`,
      )
      .all({ status, device: q.deviceId ?? null, kind: q.kind ?? null, limit: q.limit }) as AlarmRow[];
    return rows.map(toAlarm);
  }

  get(id: number): AlarmRecord {
    const row = this.core.db
      .prepare('SELECT a.*, d.name FROM alarms a LEFT JOIN devices d ON d.id = a.device_id WHERE a.id = ?')
      .get(id) as AlarmRow | undefined;
    if (!row) throw new DomainError('ALARM_NOT_FOUND');
    return toAlarm(row);
  }

  /** Acknowledge an alarm (again: no change, answered with the first acknowledgement). Audited. */
  acknowledge(id: number, actor: string): AlarmRecord {
    return this.core.change({}, (now) => {
      const alarm = this.get(id);
      if (alarm.acknowledgedAt !== null) return alarm;
      this.core.db
        .prepare('UPDATE alarms SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?')
        .run(now, actor, id);
      this.core.audit.record(now, actor, 'alarm.acknowledge', String(id), { deviceId: alarm.deviceId, kind: alarm.kind });
      this.webhooks.emit('alarm.acknowledged', { alarmId: id, deviceId: alarm.deviceId, kind: alarm.kind, by: actor, at: now });
      return this.get(id);
    });
  }

  /** Open (unacknowledged) alarms, for the admin status. */
  openCount(): number {
    return this.core.db.prepare('SELECT COUNT(*) FROM alarms WHERE acknowledged_at IS NULL').pluck().get() as number;
  }
}
