import { describe, expect, it } from 'vitest';
import { Debouncer } from '../../../hardware/gpio/debounce.js';
import { Input } from '../../../hardware/gpio/input.js';
import { Relay } from '../../../hardware/gpio/relay.js';
import { SimLine } from '../../../hardware/gpio/sim.js';
import type { InputEvent } from '../../../hardware/gpio/types.js';
import { ManualClock } from '../../support/clock.js';

describe('Debouncer', () => {
  it('reports a change only after the signal has held for the debounce time', () => {
    const clock = new ManualClock(0);
    const seen: [boolean, number][] = [];
    const d = new Debouncer({ ms: 40, initial: false, clock, onChange: (s, at) => seen.push([s, at]) });
    // contact bounce: 5 edges within 12 ms, then steady
    for (const [t, s] of [
      [0, true],
      [3, false],
      [6, true],
      [9, false],
      [12, true],
    ] as const) {
      clock.advance(t - clock.now());
      d.sample(s);
    }
    clock.advance(39);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual([[true, 12]]);
    expect(d.state).toBe(true);
    // a 20 ms glitch to false is ignored
    d.sample(false);
    clock.advance(20);
    d.sample(true);
    clock.advance(100);
    expect(seen).toHaveLength(1);
  });

  it('passes changes straight through with 0 ms', () => {
    const clock = new ManualClock(0);
    const seen: boolean[] = [];
    const d = new Debouncer({ ms: 0, initial: false, clock, onChange: (s) => seen.push(s) });
    d.sample(true);
    d.sample(true);
    d.sample(false);
    expect(seen).toEqual([true, false]);
  });
});

describe('Input', () => {
  it('maps levels through polarity, debounces, re-reads the line and removes listeners', () => {
    const clock = new ManualClock(0);
    const line = new SimLine(1); // pull-up: button released reads 1
    const input = new Input(line, { name: 'exit', polarity: 'active-low', debounceMs: 30, clock });
    const events: InputEvent[] = [];
    const off = input.onChange((e) => events.push(e));
    expect(input.active).toBe(false);
    clock.advance(100);
    line.drive(0);
    clock.advance(5);
    line.drive(1);
    clock.advance(5);
    line.drive(0);
    clock.advance(30);
    expect(events).toEqual([{ input: 'exit', active: true, at: 110 }]);
    off();
    line.drive(1);
    clock.advance(30);
    expect(input.active).toBe(false);
    expect(events).toHaveLength(1);
    input.close();
    expect(line.released).toBe(true);
  });

  it('rejects a debounce out of range', () => {
    expect(
      () =>
        new Input(new SimLine(0), {
          name: 'door',
          polarity: 'active-high',
          debounceMs: -1,
          clock: new ManualClock(0),
        }),
    ).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
  });
});

describe('Relay', () => {
  it('pulses for N ms at the right level for each polarity', async () => {
    for (const [polarity, on, off] of [
      ['active-high', 1, 0],
      ['active-low', 0, 1],
    ] as const) {
      const clock = new ManualClock(0);
      const line = new SimLine(off);
      const relay = new Relay(line, { polarity, clock });
      let ended = false;
      const p = relay.pulse(500).then(() => (ended = true));
      expect(line.level).toBe(on);
      expect(relay.active).toBe(true);
      clock.advance(499);
      await Promise.resolve();
      expect(ended).toBe(false);
      clock.advance(1);
      await p;
      expect(line.level).toBe(off);
      expect(relay.active).toBe(false);
      expect(line.writes).toEqual([off, on, off]);
    }
  });

  it('ends the pulse by its own timer even if the caller throws right after starting it', async () => {
    const clock = new ManualClock(0);
    const line = new SimLine(0);
    const relay = new Relay(line, { polarity: 'active-high', clock });
    const caller = () => {
      void relay.pulse(300);
      throw new Error('caller failed');
    };
    expect(caller).toThrow('caller failed');
    expect(line.level).toBe(1);
    clock.advance(300);
    expect(line.level).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('extends an overlapping pulse, keeps a latch, and releases everything on safe()', async () => {
    const clock = new ManualClock(0);
    const line = new SimLine(0);
    const changes: boolean[] = [];
    const relay = new Relay(line, { polarity: 'active-high', clock, onChange: (e) => changes.push(e.active) });
    const a = relay.pulse(100);
    clock.advance(50);
    const b = relay.pulse(100); // now ends at 150
    clock.advance(60);
    expect(line.level).toBe(1);
    clock.advance(40);
    await Promise.all([a, b]);
    expect(line.level).toBe(0);
    relay.set(true);
    const c = relay.pulse(100);
    clock.advance(100);
    await c;
    expect(line.level).toBe(1); // latched: the pulse does not release it
    relay.set(false);
    expect(line.level).toBe(0);
    relay.set(true);
    const d = relay.pulse(5000);
    relay.safe();
    await d;
    expect(line.level).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(changes).toEqual([true, false, true, false, true, false]);
  });

  it('rejects bad pulse lengths and forces the safe level if energising fails', async () => {
    const clock = new ManualClock(0);
    const relay = new Relay(new SimLine(0), { polarity: 'active-high', clock });
    await expect(relay.pulse(0)).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await expect(relay.pulse(Number.NaN)).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await expect(relay.pulse(60_001)).rejects.toMatchObject({ code: 'BAD_OPTIONS' });

    const writes: number[] = [];
    let fail = false;
    const flaky = {
      read: () => 0 as const,
      watch: () => {},
      release: () => {},
      write: (l: 0 | 1) => {
        writes.push(l);
        if (fail && l === 1) throw new Error('EIO');
      },
    };
    const r2 = new Relay(flaky, { polarity: 'active-high', clock });
    fail = true;
    await expect(r2.pulse(100)).rejects.toThrow('EIO');
    expect(writes.at(-1)).toBe(0);
    expect(r2.active).toBe(false);
  });
});
