// The alarm outbox: alarm transitions (raised / cleared, kind, time) kept until the server has them, so an alarm
// raised while the network is down is sent on reconnect, and one raised just before a restart is sent after it.
// Bounded: at most ALARM_OUTBOX_MAX rows; beyond that the oldest is dropped and counted. No pass data, ever.
import type Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import type { AlarmOutboxEntry } from './types.js';
import { limitArg, seconds } from './validate.js';

/** Rows kept at most: a day of a door flapping every few minutes, far more than a real outage produces. */
export const ALARM_OUTBOX_MAX = 500;

const ID = /^[0-9a-f]{32}$/;
const KIND = /^[a-z][a-z0-9-]{0,31}$/;

export class AlarmOutbox {
  private readonly insert: Database.Statement<[string, string, string, number]>;
  private readonly count: Database.Statement<[], number>;
  private readonly dropOldest: Database.Statement<[number]>;
  private readonly pendingStmt: Database.Statement<[number], AlarmOutboxEntry>;
  private readonly removeOne: Database.Statement<[string]>;
  private readonly clearAll: Database.Statement<[]>;
  private readonly addTx: (e: AlarmOutboxEntry) => number;
  private readonly removeTx: (ids: readonly string[]) => void;

  constructor(db: Database.Database, onDropped: (n: number) => void) {
    this.insert = db.prepare('INSERT OR IGNORE INTO alarm_outbox (id, kind, state, at) VALUES (?, ?, ?, ?)');
    this.count = db.prepare<[], number>('SELECT COUNT(*) FROM alarm_outbox').pluck();
    this.dropOldest = db.prepare(
      'DELETE FROM alarm_outbox WHERE seq IN (SELECT seq FROM alarm_outbox ORDER BY seq LIMIT ?)',
    );
    this.pendingStmt = db.prepare<[number], AlarmOutboxEntry>(
      'SELECT id, kind, state, at FROM alarm_outbox ORDER BY seq LIMIT ?',
    );
    this.removeOne = db.prepare('DELETE FROM alarm_outbox WHERE id = ?');
    this.clearAll = db.prepare('DELETE FROM alarm_outbox');
    this.addTx = db.transaction((e: AlarmOutboxEntry) => {
      this.insert.run(e.id, e.kind, e.state, e.at);
      const over = this.count.get()! - ALARM_OUTBOX_MAX;
      if (over <= 0) return 0;
      this.dropOldest.run(over);
      onDropped(over);
      return over;
    });
    this.removeTx = db.transaction((ids: readonly string[]) => {
      for (const id of ids) this.removeOne.run(id);
    });
  }

  add(e: AlarmOutboxEntry): number {
    if (e === null || typeof e !== 'object') throw new StoreError('INVALID_ARGUMENT', 'alarm: expected an object');
    if (typeof e.id !== 'string' || !ID.test(e.id)) throw new StoreError('INVALID_ARGUMENT', 'alarm.id: expected 32 hex digits');
    if (typeof e.kind !== 'string' || !KIND.test(e.kind))
      throw new StoreError('INVALID_ARGUMENT', 'alarm.kind: expected a lower-case name');
    if (e.state !== 'raised' && e.state !== 'cleared')
      throw new StoreError('INVALID_ARGUMENT', "alarm.state: expected 'raised' or 'cleared'");
    return this.addTx({ id: e.id, kind: e.kind, state: e.state, at: seconds(e.at, 'alarm.at') });
  }

  pending(limit: number): AlarmOutboxEntry[] {
    return this.pendingStmt.all(limitArg(limit)).map((r) => ({ id: r.id, kind: r.kind, state: r.state, at: r.at }));
  }

  remove(ids: readonly string[]): void {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
      throw new StoreError('INVALID_ARGUMENT', 'ids: expected an array of alarm ids');
    this.removeTx(ids);
  }

  wipe(): void {
    this.clearAll.run();
  }
}
