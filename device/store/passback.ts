// The anti-passback window: per (pass hash, zone) the last direction and until when it counts. Rows expire with
// their window and are purged; nothing here ever holds a pass id.
import type Database from 'better-sqlite3';
import type { Direction } from './types.js';
import { directionArg, nameArg, passHashArg, seconds } from './validate.js';

export class PassbackTable {
  private readonly check: Database.Statement<[string, string, number], Direction>;
  private readonly record: Database.Statement<[string, string, string, number]>;
  private readonly remove: Database.Statement<[string, string]>;
  private readonly purge: Database.Statement<[number]>;
  private readonly clearAll: Database.Statement<[]>;

  constructor(db: Database.Database) {
    this.check = db
      .prepare<[string, string, number], Direction>(
        'SELECT direction FROM passback WHERE hash = ? AND zone = ? AND until > ?',
      )
      .pluck();
    this.record = db.prepare(
      `INSERT INTO passback (hash, zone, direction, until) VALUES (?, ?, ?, ?)
       ON CONFLICT (hash, zone) DO UPDATE SET direction = excluded.direction, until = excluded.until`,
    );
    this.remove = db.prepare('DELETE FROM passback WHERE hash = ? AND zone = ?');
    this.purge = db.prepare('DELETE FROM passback WHERE until <= ?');
    this.clearAll = db.prepare('DELETE FROM passback');
  }

  lastDirection(hash: string, zone: string, now: number): Direction | null {
    return this.check.get(passHashArg(hash), nameArg(zone, 'zone'), seconds(now, 'now')) ?? null;
  }

  put(hash: string, zone: string, direction: Direction, until: number): void {
    this.record.run(passHashArg(hash), nameArg(zone, 'zone'), directionArg(direction), seconds(until, 'until'));
  }

  delete(hash: string, zone: string): void {
    this.remove.run(passHashArg(hash), nameArg(zone, 'zone'));
  }

  purgeExpired(now: number): number {
    return this.purge.run(now).changes;
  }

  wipe(): void {
    this.clearAll.run();
  }
}
