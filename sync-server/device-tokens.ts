// Device bearer tokens: checking them (hashes cached in memory), confirming an enrolment on first use, and rolling
// them. A roll is one of two kinds:
// - handover: the server marks the roll; every answer to the gate's old token then says so (header
//   Gatecode-Token-Roll: pending); the gate fetches a new token (POST /api/device/token with the old one), stores
//   it, and its first request with the new token completes the roll and retires the old token. Until then the old
//   token keeps working, so an answer lost on the way (or a gate that crashes before storing) loses nothing: the
//   gate asks again and gets another new token, and the one handed out before is void.
// - immediate: for a stolen or lost gate. The old token, and a new one handed out but not yet used, stop working at
//   once and the device is revoked; the gate needs a new enrolment code.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerCore } from './core.js';
import { DomainError } from './errors.js';
import { newToken, parseToken, secretMatches, sha256 } from './secrets.js';

export type RollMode = 'handover' | 'immediate';

export interface AuthenticatedDevice {
  readonly deviceId: string;
  /** The caller used its old token while a handover roll waits for it: tell the gate to fetch its new token. */
  readonly rollPending: boolean;
}

/** POST /api/device/token: a new token while a roll waits for the caller, else `current`. */
export type TokenExchange = { readonly status: 'issued'; readonly token: string } | { readonly status: 'current' };

interface Entry {
  hash: Buffer;
  /**
   * The secret that last matched `hash`, kept in memory only: the next request with it is checked with one
   * constant-time compare instead of a SHA-256 (most of a poll's own cost). Any other secret is hashed as before;
   * the entry, and this with it, goes whenever the token columns change (roll, revoke, re-enrol).
   */
  proven: Buffer | null;
  /** Hash of the new token handed out for a roll, not yet used by the gate. */
  pending: Buffer | null;
  rollRequested: boolean;
  revoked: boolean;
  confirmed: boolean;
}

interface Row {
  token_hash: Buffer;
  pending_token_hash: Buffer | null;
  token_roll_requested_at: number | null;
  revoked_at: number | null;
  confirmed_at: number | null;
}

export class DeviceTokens {
  /** This class is the only writer of the columns cached here and drops an entry whenever it changes them. */
  private readonly cache = new Map<string, Entry>();
  private readonly lookup;

  constructor(private readonly core: ServerCore) {
    this.lookup = core.db.prepare(
      'SELECT token_hash, pending_token_hash, token_roll_requested_at, revoked_at, confirmed_at FROM devices WHERE id = ?',
    );
  }

  /** Drop the cached entry of a device whose token columns another writer changed (enrol replace, revoke). */
  forget(deviceId: string): void {
    this.cache.delete(deviceId);
  }

  private entry(deviceId: string): Entry | null {
    const cached = this.cache.get(deviceId);
    if (cached) return cached;
    const row = this.lookup.get(deviceId) as Row | undefined;
    if (!row) return null;
    const entry: Entry = {
      hash: row.token_hash,
      proven: null,
      pending: row.pending_token_hash,
      rollRequested: row.token_roll_requested_at !== null,
      revoked: row.revoked_at !== null,
      confirmed: row.confirmed_at !== null,
    };
    // Bounded: past 100,000 devices the entry read longest ago goes (a fleet at the bound never thrashes, as a
    // clear-all would: bench/server-gates.ts).
    if (this.cache.size >= 100_000) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(deviceId, entry);
    return entry;
  }

  /** Check a device bearer token. Unknown or wrong → TOKEN_INVALID; revoked device → DEVICE_REVOKED. */
  authenticate(token: string): AuthenticatedDevice {
    const parsed = parseToken(token, 'dev');
    if (!parsed) throw new DomainError('TOKEN_INVALID');
    const entry = this.entry(parsed.id);
    if (!entry) throw new DomainError('TOKEN_INVALID');
    if (this.matchesCurrent(parsed.secret, entry)) {
      if (entry.revoked) throw new DomainError('DEVICE_REVOKED');
      this.confirmEnrolment(parsed.id, entry);
      return { deviceId: parsed.id, rollPending: entry.rollRequested };
    }
    if (entry.pending !== null && secretMatches(parsed.secret, entry.pending)) {
      if (entry.revoked) throw new DomainError('DEVICE_REVOKED');
      this.completeRoll(parsed.id, entry.pending);
      return { deviceId: parsed.id, rollPending: false };
    }
    throw new DomainError('TOKEN_INVALID');
  }

  /** The secret is the device's current token: the one proven before (constant-time compare), else by its hash. */
  private matchesCurrent(secret: string, entry: Entry): boolean {
    // parseToken admits only 43 base64url characters: one byte each, the same length as any proven secret.
    const given = Buffer.from(secret, 'latin1');
    if (entry.proven !== null && given.length === entry.proven.length && timingSafeEqual(given, entry.proven))
      return true;
    if (!secretMatches(secret, entry.hash)) return false;
    entry.proven = given;
    return true;
  }

  /** The first request with its token confirms the enrolment: the device has the token, so it is listed now. */
  private confirmEnrolment(deviceId: string, entry: Entry): void {
    if (entry.confirmed) return;
    this.core.change({}, (now) =>
      this.core.db
        .prepare('UPDATE devices SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL')
        .run(now, deviceId),
    );
    entry.confirmed = true;
  }

  /** The gate used its new token: it has stored it, so the old one is retired. */
  private completeRoll(deviceId: string, pending: Buffer): void {
    this.core.change({}, (now) => {
      this.core.db
        .prepare(
          `UPDATE devices SET token_hash = pending_token_hash, pending_token_hash = NULL, token_roll_requested_at = NULL,
           token_rolled_at = ? WHERE id = ? AND pending_token_hash = ?`,
        )
        .run(now, deviceId, pending);
      this.core.audit.record(now, `device:${deviceId}`, 'device.roll-complete', deviceId);
    });
    this.cache.delete(deviceId);
  }

  /** Ask for a roll (admin). Handover: idempotent while one is pending. Immediate: every token dies, device revoked. */
  roll(deviceId: string, mode: RollMode, actor: string): void {
    this.core.change({}, (now) => {
      const row = this.lookup.get(deviceId) as Row | undefined;
      if (!row) throw new DomainError('DEVICE_NOT_FOUND');
      if (row.revoked_at !== null) throw new DomainError('DEVICE_NOT_ACTIVE');
      if (mode === 'handover') {
        if (row.token_roll_requested_at !== null) return;
        this.core.db
          .prepare('UPDATE devices SET token_roll_requested_at = ?, pending_token_hash = NULL WHERE id = ?')
          .run(now, deviceId);
      } else {
        // A hash of a secret nobody holds: neither the old token nor any handed-out new one matches again.
        this.core.db
          .prepare(
            `UPDATE devices SET token_hash = ?, pending_token_hash = NULL, token_roll_requested_at = NULL,
             token_rolled_at = ?, revoked_at = ? WHERE id = ?`,
          )
          .run(sha256(randomBytes(32).toString('base64url')), now, now, deviceId);
      }
      this.core.audit.record(now, actor, 'device.roll', deviceId, { mode });
    });
    this.cache.delete(deviceId);
  }

  /**
   * POST /api/device/token. With the old token while a roll waits: a new token, whose hash is on disk before it
   * is answered (a new one on every call: only the last handed out is valid). Otherwise `current`.
   */
  exchange(caller: AuthenticatedDevice): TokenExchange {
    if (!caller.rollPending) return { status: 'current' };
    const { deviceId } = caller;
    const issued = this.core.change({}, (now) => {
      const { token, hash } = newToken('dev', deviceId);
      const res = this.core.db
        .prepare(
          'UPDATE devices SET pending_token_hash = ? WHERE id = ? AND token_roll_requested_at IS NOT NULL AND revoked_at IS NULL',
        )
        .run(hash, deviceId);
      if (res.changes === 0) return null;
      this.core.audit.record(now, `device:${deviceId}`, 'device.roll-issue', deviceId);
      return token;
    });
    this.cache.delete(deviceId);
    return issued === null ? { status: 'current' } : { status: 'issued', token: issued };
  }
}
