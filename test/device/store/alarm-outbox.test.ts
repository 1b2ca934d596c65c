// The alarm outbox in the device store: kept across a reopen (a restart), oldest first, bounded with the
// overflow counted, emptied by the sunset wipe, and refusing anything that is not an alarm transition.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALARM_OUTBOX_MAX, openStore } from '../../../device/store/index.js';
import { tempDir } from './helpers.js';
import type { TempDir } from './helpers.js';

let tmp: TempDir;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const entry = (kind: string, at: number, state: 'raised' | 'cleared' = 'raised') => ({
  id: randomBytes(16).toString('hex'),
  kind,
  state,
  at,
});

describe('alarm outbox', () => {
  it('keeps transitions across a reopen, oldest first, until the server has them', () => {
    let store = openStore(tmp.file());
    const a = entry('door-forced', 100.25);
    const b = entry('door-forced', 101, 'cleared');
    store.addAlarmOutbox(a);
    store.addAlarmOutbox(b);
    store.close();
    store = openStore(tmp.file());
    expect(store.pendingAlarmOutbox(10)).toEqual([a, b]);
    store.removeAlarmOutbox([a.id]);
    expect(store.pendingAlarmOutbox(10)).toEqual([b]);
    store.close();
  });

  it('is bounded: beyond the maximum the oldest go and are counted', () => {
    const store = openStore(tmp.file());
    const first = entry('stale-data', 1);
    store.addAlarmOutbox(first);
    for (let i = 0; i < ALARM_OUTBOX_MAX; i++) store.addAlarmOutbox(entry('door-held-open', 2 + i));
    const held = store.pendingAlarmOutbox(ALARM_OUTBOX_MAX + 10);
    expect(held).toHaveLength(ALARM_OUTBOX_MAX);
    expect(held[0]!.at).toBe(2);
    expect(store.counters()['alarms_dropped']).toBe(1);
    store.close();
  });

  it('is emptied by the sunset wipe and refuses what is not a transition', () => {
    const store = openStore(tmp.file());
    store.addAlarmOutbox(entry('sunset', 5));
    store.wipe();
    expect(store.pendingAlarmOutbox(10)).toEqual([]);
    for (const bad of [
      { ...entry('door-forced', 1), id: 'x' },
      { ...entry('Door Forced', 1) },
      { ...entry('door-forced', 1), state: 'open' as 'raised' },
      { ...entry('door-forced', -1) },
    ])
      expect(() => store.addAlarmOutbox(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    store.close();
  });
});
