// The short event window and the aggregate counters. Events carry no pass id, only the keyed hash (or null), and
// are deleted once older than the retention window; counters are the only thing that outlives them.
import type Database from 'better-sqlite3';
import { COLOURS } from '../../protocol/types.js';
import type { Colour } from '../../protocol/types.js';
import { StoreError } from './errors.js';
import type { Direction, EventInput, StoredEvent } from './types.js';
import { directionArg, integer, limitArg, nameArg, passHashArg, seconds } from './validate.js';

interface EventRow {
  id: number;
  at: number;
  colour: Colour;
  reason: string;
  pass_hash: string | null;
  direction: Direction | null;
  opened: 0 | 1;
  passed: 0 | 1;
}

function toEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    at: row.at,
    colour: row.colour,
    reason: row.reason,
    passHash: row.pass_hash,
    direction: row.direction,
    opened: row.opened === 1,
    passed: row.passed === 1,
  };
}

export class EventLog {
  private readonly insert: Database.Statement<[number, string, string, string | null, string | null, number]>;
  private readonly notPassed: Database.Statement<[number]>;
  private readonly pending: Database.Statement<[number], EventRow>;
  private readonly uploaded: Database.Statement<[number]>;
  private readonly purge: Database.Statement<[number]>;
  private readonly clearAll: Database.Statement<[]>;
  private readonly bumpStmt: Database.Statement<[string, number]>;
  private readonly allCounters: Database.Statement<[], { name: string; value: number }>;
  private readonly markUploadedTx: (ids: readonly number[]) => void;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      'INSERT INTO events (at, colour, reason, pass_hash, direction, opened) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.notPassed = db.prepare('UPDATE events SET passed = 0, uploaded = 0 WHERE id = ?');
    this.pending = db.prepare<[number], EventRow>(
      `SELECT id, at, colour, reason, pass_hash, direction, opened, passed FROM events
       WHERE uploaded = 0 ORDER BY id LIMIT ?`,
    );
    this.uploaded = db.prepare('UPDATE events SET uploaded = 1 WHERE id = ?');
    this.purge = db.prepare('DELETE FROM events WHERE at < ?');
    this.clearAll = db.prepare('DELETE FROM events');
    this.bumpStmt = db.prepare(
      `INSERT INTO counters (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`,
    );
    this.allCounters = db.prepare<[], { name: string; value: number }>(
      'SELECT name, value FROM counters ORDER BY name',
    );
    this.markUploadedTx = db.transaction((ids: readonly number[]) => {
      for (const id of ids) this.uploaded.run(id);
    });
  }

  add(e: EventInput): number {
    if (e === null || typeof e !== 'object') throw new StoreError('INVALID_ARGUMENT', 'event: expected an object');
    const at = seconds(e.at, 'event.at');
    if (!COLOURS.includes(e.colour))
      throw new StoreError('INVALID_ARGUMENT', 'event.colour: expected green, yellow or red');
    const reason = nameArg(e.reason, 'event.reason');
    const hash = e.passHash === null ? null : passHashArg(e.passHash, 'event.passHash');
    const direction = e.direction === null ? null : directionArg(e.direction, 'event.direction');
    if (typeof e.opened !== 'boolean') throw new StoreError('INVALID_ARGUMENT', 'event.opened: expected a boolean');
    const result = this.insert.run(at, e.colour, reason, hash, direction, e.opened ? 1 : 0);
    return Number(result.lastInsertRowid);
  }

  markNotPassed(eventId: number): void {
    // An event already purged (past retention) has nothing left to annul.
    this.notPassed.run(integer(eventId, 'event id'));
  }

  pendingEvents(limit: number): StoredEvent[] {
    return this.pending.all(limitArg(limit)).map(toEvent);
  }

  markUploaded(ids: readonly number[]): void {
    if (!Array.isArray(ids)) throw new StoreError('INVALID_ARGUMENT', 'ids: expected an array');
    for (const id of ids) integer(id, 'event id');
    this.markUploadedTx(ids);
  }

  purgeOlderThan(cutoff: number): number {
    return this.purge.run(cutoff).changes;
  }

  wipe(): void {
    this.clearAll.run();
  }

  bump(counter: string, by: number): void {
    this.bumpStmt.run(nameArg(counter, 'counter'), integer(by, 'by'));
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.allCounters.all()) out[row.name] = row.value;
    return out;
  }
}
