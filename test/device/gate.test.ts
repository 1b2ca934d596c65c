import { describe, expect, it } from 'vitest';
import { GateController } from '../../device/gate.js';
import type { GateEvent, GateOptions, GateStore } from '../../device/gate.js';
import { DEFAULT_SIM_PINS, SimGpio } from '../../hardware/gpio/sim.js';
import { silentLog } from '../support/log.js';
import { ManualClock } from '../support/clock.js';

const OPTS: GateOptions = {
  relayMode: 'pulse',
  pulseMs: 500,
  holdMs: 5000,
  grantWindowMs: 4000,
  forcedOpenAlarm: true,
  heldOpenSeconds: 20,
  rotationTimeoutSeconds: 6,
};

class RecordingStore implements GateStore {
  readonly removed: string[] = [];
  readonly notPassed: number[] = [];
  readonly counters: Record<string, number> = {};
  passbackRemove(hash: string, zone: string): void {
    this.removed.push(`${zone}/${hash}`);
  }
  markNotPassed(eventId: number): void {
    this.notPassed.push(eventId);
  }
  bump(counter: string, by = 1): void {
    this.counters[counter] = (this.counters[counter] ?? 0) + by;
  }
}

function setup(opts: Partial<GateOptions> = {}, withRotation = true) {
  const clock = new ManualClock(1_800_000_000_000);
  const pins = withRotation
    ? DEFAULT_SIM_PINS
    : { ...DEFAULT_SIM_PINS, inputs: { door: DEFAULT_SIM_PINS.inputs.door, exit: DEFAULT_SIM_PINS.inputs.exit } };
  const gpio = new SimGpio({ pins, clock });
  const store = new RecordingStore();
  const events: GateEvent[] = [];
  const gate = new GateController(gpio, clock, { ...OPTS, ...opts }, store, silentLog(), (e) => events.push(e));
  gate.start();
  return { clock, gpio, store, events, gate };
}

const alarms = (events: GateEvent[]) =>
  events.filter((e) => e.kind === 'alarm').map((e) => (e.kind === 'alarm' ? `${e.alarm}:${e.active}` : ''));

describe('gate', () => {
  it('pulses the relay for the configured time on a grant', () => {
    const { clock, gpio, gate } = setup();
    gate.open();
    expect(gpio.pulses).toEqual([{ at: clock.now(), ms: 500 }]);
    expect(gpio.relay.active).toBe(true);
    clock.advance(500);
    expect(gpio.relay.active).toBe(false);
  });

  it('holds a strike open until the door has opened and closed, or releases it after the hold time', () => {
    const { clock, gpio, gate } = setup({ relayMode: 'hold' });
    gate.open();
    expect(gpio.relay.active).toBe(true);
    clock.advance(1000);
    gpio.setDoor(true);
    clock.advance(2000);
    expect(gpio.relay.active).toBe(true);
    gpio.setDoor(false);
    expect(gpio.relay.active).toBe(false);
    gate.open();
    clock.advance(4999);
    expect(gpio.relay.active).toBe(true);
    clock.advance(1);
    expect(gpio.relay.active).toBe(false);
  });

  it('opens on the exit button without a pass, and that opening is no forced entry', () => {
    const { clock, gpio, store, events } = setup();
    gpio.press('exit');
    expect(gpio.pulses).toHaveLength(1);
    expect(store.counters['exit-button']).toBe(1);
    clock.advance(300);
    gpio.setDoor(true);
    expect(alarms(events)).toEqual([]);
    expect(events.some((e) => e.kind === 'exit-button')).toBe(true);
  });

  it('raises the forced-open alarm when the door opens with no grant, cleared when it closes', () => {
    const { gpio, gate, events, store } = setup();
    gpio.setDoor(true);
    expect(gate.alarms()).toEqual(['door-forced']);
    expect(store.counters['alarm:door-forced']).toBe(1);
    gpio.setDoor(false);
    expect(gate.alarms()).toEqual([]);
    expect(alarms(events)).toEqual(['door-forced:true', 'door-forced:false']);
  });

  it('raises the forced-open alarm when the grant window has passed, unless that alarm is off', () => {
    const { clock, gpio, gate } = setup();
    gate.open();
    clock.advance(4001);
    gpio.setDoor(true);
    expect(gate.alarms()).toContain('door-forced');
    const quiet = setup({ forcedOpenAlarm: false });
    quiet.gpio.setDoor(true);
    expect(quiet.gate.alarms()).toEqual([]);
  });

  it('raises the held-open alarm after N seconds of an open door', () => {
    const { clock, gpio, gate, events } = setup();
    gate.open();
    gpio.setDoor(true);
    clock.advance(19_999);
    expect(gate.alarms()).toEqual([]);
    clock.advance(1);
    expect(gate.alarms()).toEqual(['door-held-open']);
    gpio.setDoor(false);
    expect(alarms(events)).toEqual(['door-held-open:true', 'door-held-open:false']);
  });

  it('counts a passage when the turnstile turns after a grant', () => {
    const { clock, gpio, gate, store, events } = setup();
    gate.open();
    gate.expectPassage({ eventId: 7, passHash: 'aa', zone: 'main', direction: 'in' });
    clock.advance(2000);
    gpio.rotate();
    clock.advance(10_000);
    expect(store.counters).toMatchObject({ entries: 1, occupancy: 1 });
    expect(store.notPassed).toEqual([]);
    expect(events.some((e) => e.kind === 'passed' && e.eventId === 7)).toBe(true);
  });

  it('annuls a grant with no rotation in time: anti-passback entry removed, event marked not passed', () => {
    const { clock, gate, store, events } = setup();
    gate.open();
    gate.expectPassage({ eventId: 9, passHash: 'bb', zone: 'main', direction: 'in' });
    clock.advance(5999);
    expect(store.notPassed).toEqual([]);
    clock.advance(1);
    expect(store.notPassed).toEqual([9]);
    expect(store.removed).toEqual(['main/bb']);
    expect(store.counters['annulled']).toBe(1);
    expect(store.counters['entries']).toBeUndefined();
    expect(events.some((e) => e.kind === 'annulled' && e.eventId === 9)).toBe(true);
  });

  it('counts at once without a rotation sensor, exits lowering occupancy', () => {
    const { gate, store } = setup({}, false);
    gate.expectPassage({ eventId: 1, passHash: 'cc', zone: 'main', direction: 'in' });
    gate.expectPassage({ eventId: 2, passHash: 'cc', zone: 'main', direction: 'out' });
    expect(store.counters).toMatchObject({ entries: 1, exits: 1, occupancy: 0 });
  });

  it('leaves the relay safe on close, even in the middle of a hold', () => {
    const { gpio, gate, clock } = setup({ relayMode: 'hold' });
    gate.open();
    expect(gpio.relay.active).toBe(true);
    gate.close();
    expect(gpio.relay.active).toBe(false);
    expect(gpio.relayPinLevel).toBe(0);
    gpio.press('exit');
    expect(gpio.relay.active).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });
});
