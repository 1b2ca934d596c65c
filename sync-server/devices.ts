// Devices: enrolment with one-time codes, bearer tokens (hashed; checking and rolling them in device-tokens.ts),
// revoke, heartbeats, event batches.
import { createHash } from 'node:crypto';
import type { EnrolAnswer, EventBatch, EventBatchAnswer, HeartbeatRequest } from '../protocol/api/device.js';
import { encodePublicKey, rootFingerprint } from '../protocol/index.js';
import type { CancelTimer } from '../common/clock.js';
import type { ServerCore } from './core.js';
import { DeviceTokens, type RollMode } from './device-tokens.js';
import { DomainError } from './errors.js';
import { RateLimiter } from './rate-limit.js';
import {
  enrolmentCodeHash,
  newEnrolmentCode,
  newToken,
  normaliseEnrolmentCode,
  randomId,
} from './secrets.js';

/** A heartbeat as the device sends it (the contract in protocol/api/device.ts). */
export type Heartbeat = HeartbeatRequest;

export interface DeviceRecord {
  readonly deviceId: string;
  readonly name: string | null;
  /** `sunset`: the deployment's sunset has passed, so the device has refused every pass and wiped its data. */
  readonly status: 'active' | 'revoked' | 'sunset';
  readonly enrolledAt: number;
  readonly tokenRolledAt: number | null;
  /** A token roll waits for the gate to fetch and use its new token (since then); null when none is pending. */
  readonly tokenRollPendingSince: number | null;
  readonly revokedAt: number | null;
  readonly lastSeenAt: number | null;
  readonly lastHeartbeatAt: number | null;
  readonly heartbeat: Heartbeat | null;
  /** Seconds the device clock was ahead (+) or behind (−) the server's at the last heartbeat. */
  readonly clockDriftSeconds: number | null;
  /** Age of the device's trust data at the last heartbeat, seconds. */
  readonly dataAgeSeconds: number | null;
  readonly counters: Record<string, number> | null;
  /** Events this device uploaded that the server refused (quota or storage full). */
  readonly eventsRefused: number;
}

export interface EnrolmentRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly createdBy: string;
  readonly usedAt: number | null;
  readonly deviceId: string | null;
  readonly revokedAt: number | null;
  readonly status: 'open' | 'used' | 'expired' | 'revoked';
}

/** Pending last-seen times are written together at most this long after the first of them (ms). */
export const SEEN_FLUSH_MS = 5000;
/** Rows of expired events and idempotency keys deleted per upload: the clean-up never stalls an upload. */
export const CLEAN_BATCH = 2000;

interface DeviceRow {
  id: string;
  name: string | null;
  token_hash: Buffer;
  enrolled_at: number;
  token_rolled_at: number | null;
  token_roll_requested_at: number | null;
  revoked_at: number | null;
  last_seen_at: number | null;
  heartbeat: string | null;
  heartbeat_at: number | null;
  counters: string | null;
  events_refused: number;
}

/** A heartbeat to write; `counters` null when an event upload has written newer counters since. */
interface PendingHeartbeat {
  readonly json: string;
  readonly at: number;
  counters: string | null;
}

interface StoredHeartbeat extends Heartbeat {
  readonly serverTime: number;
}

function toDevice(r: DeviceRow, sunsetPassed: boolean): DeviceRecord {
  const hb = r.heartbeat === null ? null : (JSON.parse(r.heartbeat) as StoredHeartbeat);
  return {
    deviceId: r.id,
    name: r.name,
    status: r.revoked_at !== null ? 'revoked' : sunsetPassed ? 'sunset' : 'active',
    enrolledAt: r.enrolled_at,
    tokenRolledAt: r.token_rolled_at,
    tokenRollPendingSince: r.token_roll_requested_at,
    revokedAt: r.revoked_at,
    lastSeenAt: r.last_seen_at,
    lastHeartbeatAt: r.heartbeat_at,
    heartbeat: hb && {
      versions: hb.versions,
      seq: hb.seq,
      clock: hb.clock,
      counters: hb.counters,
      trustDataAt: hb.trustDataAt ?? null,
    },
    clockDriftSeconds: hb ? Math.round((hb.clock - hb.serverTime) * 1000) / 1000 : null,
    dataAgeSeconds:
      hb && typeof hb.trustDataAt === 'number' ? Math.max(0, Math.round(hb.clock - hb.trustDataAt)) : null,
    counters: r.counters === null ? null : (JSON.parse(r.counters) as Record<string, number>),
    eventsRefused: r.events_refused,
  };
}

export class DeviceService {
  private readonly core: ServerCore;
  /** Bearer tokens: checking, enrolment confirmation, rolls. */
  readonly tokens: DeviceTokens;
  private readonly touchStmt;
  private readonly heartbeatStmt;
  /**
   * Last-seen times and heartbeats not yet written (by device id; a later heartbeat replaces an earlier one). A
   * request only notes them here; flushSeen writes them all in one transaction, SEEN_FLUSH_MS after the first,
   * before any read of a device record (so the admin list and page show the latest request and heartbeat) and
   * when the server stops.
   */
  private readonly seen = new Map<string, number>();
  private readonly beats = new Map<string, PendingHeartbeat>();
  private seenTimer: CancelTimer | null = null;
  /** Events each device may upload (a bucket counted in events), and how many are held in total. */
  private readonly eventQuota: RateLimiter;
  private storedEvents: number;

  constructor(core: ServerCore) {
    this.core = core;
    this.tokens = new DeviceTokens(core);
    // MAX: a heartbeat written since may carry a later time.
    this.touchStmt = core.db.prepare(
      'UPDATE devices SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?) WHERE id = ?',
    );
    this.heartbeatStmt = core.db.prepare(
      `UPDATE devices SET heartbeat = ?, heartbeat_at = ?, last_seen_at = MAX(COALESCE(last_seen_at, 0), ?),
       counters = COALESCE(?, counters) WHERE id = ?`,
    );
    this.eventQuota = new RateLimiter(core.config.events.perDevice, core.clock);
    this.storedEvents = (core.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number) ?? 0;
  }

  /** Events held and the limit, for the admin status. */
  eventStorage(): { stored: number; maxStored: number } {
    return { stored: this.storedEvents, maxStored: this.core.config.events.maxStored };
  }

  createEnrolment(ttlSeconds: number, actor: string): { id: string; code: string; expiresAt: number } {
    return this.core.change({}, (now) => {
      this.core.assertLive(now);
      const id = randomId(6);
      const code = newEnrolmentCode();
      const expiresAt = now + ttlSeconds;
      this.core.db
        .prepare('INSERT INTO enrolments (id, code_hash, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?)')
        .run(id, enrolmentCodeHash(normaliseEnrolmentCode(code) as string), now, expiresAt, actor);
      this.core.audit.record(now, actor, 'enrolment.create', id, { expiresAt });
      return { id, code, expiresAt };
    });
  }

  listEnrolments(): EnrolmentRecord[] {
    const now = this.core.now();
    const rows = this.core.db
      .prepare('SELECT * FROM enrolments ORDER BY created_at DESC, rowid DESC LIMIT 500')
      .all() as {
      id: string;
      created_at: number;
      expires_at: number;
      created_by: string;
      used_at: number | null;
      device_id: string | null;
      revoked_at: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      createdBy: r.created_by,
      usedAt: r.used_at,
      deviceId: r.device_id,
      revokedAt: r.revoked_at,
      status:
        r.used_at !== null ? 'used' : r.revoked_at !== null ? 'revoked' : r.expires_at <= now ? 'expired' : 'open',
    }));
  }

  revokeEnrolment(id: string, actor: string): void {
    this.core.change({}, (now) => {
      const res = this.core.db
        .prepare('UPDATE enrolments SET revoked_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL')
        .run(now, id);
      if (res.changes === 0) {
        const exists = this.core.db.prepare('SELECT 1 FROM enrolments WHERE id = ?').get(id);
        throw new DomainError(exists ? 'ENROLMENT_USED' : 'ENROLMENT_NOT_FOUND');
      }
      this.core.audit.record(now, actor, 'enrolment.revoke', id);
    });
  }

  /**
   * Redeem a one-time code. Unknown code → ENROLMENT_INVALID; already used → ENROLMENT_USED;
   * expired → ENROLMENT_EXPIRED; revoked by an admin → ENROLMENT_REVOKED.
   */
  /**
   * Redeem a one-time code for a new device id and token. `replaces`: the device the caller proved to be (its
   * current token came with the request): a re-enrolled gate's old record is revoked in the same transaction, so
   * it never stays behind as a second active device.
   */
  enrol(codeText: string, name: string | null, replaces: string | null = null): EnrolAnswer {
    const code = normaliseEnrolmentCode(codeText);
    if (code === null) throw new DomainError('ENROLMENT_INVALID');
    return this.core.change({}, (now) => {
      this.core.assertLive(now);
      const row = this.core.db.prepare('SELECT * FROM enrolments WHERE code_hash = ?').get(enrolmentCodeHash(code)) as
        { id: string; expires_at: number; used_at: number | null; revoked_at: number | null } | undefined;
      if (!row) throw new DomainError('ENROLMENT_INVALID');
      if (row.used_at !== null) throw new DomainError('ENROLMENT_USED');
      if (row.revoked_at !== null) throw new DomainError('ENROLMENT_REVOKED');
      if (row.expires_at <= now) throw new DomainError('ENROLMENT_EXPIRED');
      const deviceId = randomId(8);
      const { token, hash } = newToken('dev', deviceId);
      this.core.db
        .prepare('INSERT INTO devices (id, name, token_hash, enrolled_at) VALUES (?, ?, ?, ?)')
        .run(deviceId, name, hash, now);
      this.core.db.prepare('UPDATE enrolments SET used_at = ?, device_id = ? WHERE id = ?').run(now, deviceId, row.id);
      this.core.audit.record(now, `enrolment:${row.id}`, 'device.enrol', deviceId, name === null ? null : { name });
      if (replaces !== null) {
        this.core.db
          .prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
          .run(now, replaces);
        this.tokens.forget(replaces);
        this.core.audit.record(now, `enrolment:${row.id}`, 'device.replace', replaces, { by: deviceId });
      }
      const root = this.core.keys.root().publicKey;
      return { deviceId, token, rootPublicKey: encodePublicKey(root), rootFingerprint: rootFingerprint(root) };
    });
  }

  /** Check a device bearer token; returns the device id. Revoked device → DEVICE_REVOKED. */
  authenticate(token: string): string {
    return this.tokens.authenticate(token).deviceId;
  }

  /** An authenticated request from the device: its last-seen time, written by the next flushSeen. */
  touch(deviceId: string): void {
    this.seen.set(deviceId, this.core.now());
    this.seenTimer ??= this.core.time.setTimer(SEEN_FLUSH_MS, () => this.flushSeen());
  }

  private writePending(seen: Iterable<[string, number]>, beats: Iterable<[string, PendingHeartbeat]>): void {
    for (const [deviceId, at] of seen) this.touchStmt.run(at, deviceId);
    for (const [deviceId, b] of beats) this.heartbeatStmt.run(b.json, b.at, b.at, b.counters, deviceId);
  }

  /**
   * Write the pending last-seen times, in one transaction. A last-seen time is not worth an fsync (durable: false):
   * with synchronous = FULL an UPDATE per device poll was the fleet's bottleneck (10,000 gates: hundreds of fsyncs
   * a second). The requests of SEEN_FLUSH_MS share one transaction (before, each gate's poll cycle had its own).
   * A failed write (disk full) is logged and the times are kept for the next try.
   */
  flushSeen(): void {
    if ((this.seen.size === 0 && this.beats.size === 0) || !this.core.db.open) return;
    if (this.core.db.inTransaction) {
      // A read inside another change (revoke): written in that transaction, and kept pending in case it is rolled
      // back (writing the same time or heartbeat twice changes nothing).
      this.writePending(this.seen, this.beats);
      return;
    }
    this.seenTimer?.();
    this.seenTimer = null;
    const seen = [...this.seen];
    const beats = [...this.beats];
    this.seen.clear();
    this.beats.clear();
    try {
      this.core.change({ durable: false }, () => this.writePending(seen, beats));
    } catch (err) {
      this.core.log.warn({ err: (err as Error).message, devices: seen.length }, 'writing last-seen times failed');
      for (const [deviceId, at] of seen) if (!this.seen.has(deviceId)) this.seen.set(deviceId, at);
      for (const [deviceId, b] of beats) if (!this.beats.has(deviceId)) this.beats.set(deviceId, b);
      this.seenTimer = this.core.time.setTimer(SEEN_FLUSH_MS, () => this.flushSeen());
    }
  }

  list(): DeviceRecord[] {
    this.flushSeen();
    const sunset = this.core.sunsetPassed();
    // Only devices that have confirmed their enrolment (used their token): a code whose answer never reached
    // its device leaves no device in the list.
    const rows = this.core.db
      .prepare('SELECT * FROM devices WHERE confirmed_at IS NOT NULL ORDER BY enrolled_at, rowid')
      .all() as DeviceRow[];
    return rows.map((r) => toDevice(r, sunset));
  }

  get(deviceId: string): DeviceRecord {
    this.flushSeen();
    const row = this.core.db.prepare('SELECT * FROM devices WHERE id = ?').get(deviceId) as DeviceRow | undefined;
    if (!row) throw new DomainError('DEVICE_NOT_FOUND');
    return toDevice(row, this.core.sunsetPassed());
  }

  /** Roll a device's token: a handover the gate completes itself, or immediate (device-tokens.ts). */
  roll(deviceId: string, mode: RollMode, actor: string): DeviceRecord {
    this.tokens.roll(deviceId, mode, actor);
    return this.get(deviceId);
  }

  revoke(deviceId: string, actor: string): DeviceRecord {
    return this.core.change({}, (now) => {
      const dev = this.get(deviceId);
      if (dev.status === 'revoked') throw new DomainError('DEVICE_NOT_ACTIVE');
      this.core.db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ?').run(now, deviceId);
      this.tokens.forget(deviceId);
      this.core.audit.record(now, actor, 'device.revoke', deviceId);
      return this.get(deviceId);
    });
  }

  /**
   * Note a heartbeat; it is written with the last-seen times (flushSeen). Sent again every poll: not worth a
   * transaction each, and a stop or crash loses at most the last SEEN_FLUSH_MS of them.
   */
  heartbeat(deviceId: string, hb: Heartbeat): { serverTime: number } {
    const ms = this.core.clock();
    const serverTime = ms / 1000;
    const stored: StoredHeartbeat = { ...hb, serverTime };
    const json = JSON.stringify(stored);
    this.beats.set(deviceId, { json, at: Math.floor(serverTime), counters: JSON.stringify(hb.counters) });
    this.seenTimer ??= this.core.time.setTimer(SEEN_FLUSH_MS, () => this.flushSeen());
    return { serverTime };
  }

  /**
   * Store a batch of events once per idempotency key. A replay with the same body is a no-op answered like the
   * first time; the same key with a different body is IDEMPOTENCY_CONFLICT.
   */
  events(deviceId: string, key: string, body: EventBatch, rawBody: string): EventBatchAnswer {
    const bodyHash = createHash('sha256').update(rawBody).digest();
    const prior = this.core.db
      .prepare('SELECT body_hash, count FROM event_batches WHERE device_id = ? AND key = ?')
      .get(deviceId, key) as { body_hash: Buffer; count: number } | undefined;
    if (prior) {
      if (!prior.body_hash.equals(bodyHash)) throw new DomainError('IDEMPOTENCY_CONFLICT');
      return { accepted: prior.count, duplicate: true };
    }
    this.checkQuota(deviceId, body.events.length);
    return this.core.change({ durable: false }, (now) => {
      this.clean(now);
      const ins = this.core.db.prepare(
        'INSERT INTO events (device_id, at, colour, reason, pass_hash, direction, opened, not_passed, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const e of body.events) {
        ins.run(
          deviceId,
          e.at,
          e.colour,
          e.reason,
          e.passHash,
          e.direction,
          e.opened ? 1 : 0,
          e.notPassed ? 1 : 0,
          now,
        );
      }
      this.core.db
        .prepare('INSERT INTO event_batches (device_id, key, body_hash, received_at, count) VALUES (?, ?, ?, ?, ?)')
        .run(deviceId, key, bodyHash, now, body.events.length);
      if (body.counters) {
        this.core.db
          .prepare('UPDATE devices SET counters = ? WHERE id = ?')
          .run(JSON.stringify(body.counters), deviceId);
        const pending = this.beats.get(deviceId);
        if (pending) pending.counters = null; // these are newer than the unwritten heartbeat's
      }
      this.storedEvents += body.events.length;
      return { accepted: body.events.length, duplicate: false };
    });
  }

  /** Delete expired events and idempotency keys, at most CLEAN_BATCH of each, oldest first, by index. */
  private clean(now: number): void {
    const cutoff = now - this.core.config.events.retentionSeconds;
    const db = this.core.db;
    this.storedEvents -= db
      .prepare(
        'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ? ORDER BY received_at LIMIT ?)',
      )
      .run(cutoff, CLEAN_BATCH).changes;
    db.prepare(
      `DELETE FROM event_batches WHERE (device_id, key) IN
       (SELECT device_id, key FROM event_batches WHERE received_at < ? ORDER BY received_at LIMIT ?)`,
    ).run(cutoff, CLEAN_BATCH);
  }

  /**
   * A stolen device token must not fill the disk (then every issue and revoke would fail): each device has a
   * bucket counted in events (429 EVENT_QUOTA with Retry-After), and the total held is capped (507). A refused
   * batch is counted on the device's record; the device keeps it and sends it again later.
   */
  private checkQuota(deviceId: string, count: number): void {
    const { maxStored } = this.core.config.events;
    const refuse = (err: DomainError): never => {
      this.core.change({ durable: false }, () =>
        this.core.db
          .prepare('UPDATE devices SET events_refused = events_refused + ? WHERE id = ?')
          .run(count, deviceId),
      );
      throw err;
    };
    // At the limit, expired events may make room: clean first (in its own small transaction), then decide.
    if (this.storedEvents + count > maxStored) this.core.change({ durable: false }, (now) => this.clean(now));
    if (this.storedEvents + count > maxStored)
      refuse(new DomainError('EVENT_STORAGE_FULL', { detail: `maxStored:${maxStored}` }));
    if (count === 0) return;
    const wait = this.eventQuota.take(deviceId, Math.min(count, this.core.config.events.perDevice.burst));
    if (wait > 0) refuse(new DomainError('EVENT_QUOTA', { retryAfter: wait }));
  }

  /** Event counts per device and verdict reason within the retention window (no pass data). */
  eventSummary(): { deviceId: string; colour: string; reason: string; count: number }[] {
    return this.core.db
      .prepare(
        'SELECT device_id AS deviceId, colour, reason, COUNT(*) AS count FROM events GROUP BY device_id, colour, reason ORDER BY device_id, count DESC',
      )
      .all() as { deviceId: string; colour: string; reason: string; count: number }[];
  }
}
