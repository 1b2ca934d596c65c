import { describe, expect, it } from 'vitest';
import { SimGpio } from '../../../hardware/gpio/sim.js';
import type { InputEvent } from '../../../hardware/gpio/types.js';
import { ManualClock } from '../../support/clock.js';

describe('SimGpio', () => {
  it('records relay pulses and state changes with times', async () => {
    const clock = new ManualClock(0);
    const gpio = new SimGpio({ clock });
    clock.advance(1000);
    const p = gpio.relay.pulse(800);
    expect(gpio.relay.active).toBe(true);
    expect(gpio.relayPinLevel).toBe(1);
    clock.advance(800);
    await p;
    expect(gpio.pulses).toEqual([{ at: 1000, ms: 800 }]);
    expect(gpio.relayChanges).toEqual([
      { at: 1000, active: true },
      { at: 1800, active: false },
    ]);
    gpio.close();
  });

  it('drives the inputs through their polarity: exit button, door, turnstile', () => {
    const gpio = new SimGpio();
    const events: InputEvent[] = [];
    for (const i of Object.values(gpio.inputs)) i?.onChange((e) => events.push(e));
    gpio.press('exit');
    gpio.setDoor(true);
    gpio.rotate();
    gpio.setDoor(false);
    expect(events.map((e) => [e.input, e.active])).toEqual([
      ['exit', true],
      ['exit', false],
      ['door', true],
      ['rotation', true],
      ['rotation', false],
      ['door', false],
    ]);
    // exit is active-low: released reads 1 on the pin
    expect(gpio.lines.get(22)?.level).toBe(1);
    expect(gpio.inputs.door?.active).toBe(false);
  });

  it('holds a press past the debounce time, so a debounced turnstile or exit button sees it', () => {
    const clock = new ManualClock(0);
    const gpio = new SimGpio({
      clock,
      pins: {
        relay: { pin: 17, polarity: 'active-high' },
        inputs: { rotation: { pin: 23, polarity: 'active-high', debounceMs: 40 } },
      },
    });
    const events: [boolean, number][] = [];
    gpio.inputs.rotation?.onChange((e) => events.push([e.active, clock.now()]));
    gpio.rotate();
    clock.advance(39);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual([[true, 40]]);
    clock.advance(200);
    expect(events).toEqual([
      [true, 40],
      [false, 140],
    ]);
    gpio.close();
  });

  it('honours an active-low relay and refuses inputs it does not have', () => {
    const gpio = new SimGpio({ pins: { relay: { pin: 5, polarity: 'active-low' }, inputs: {} } });
    expect(gpio.relayPinLevel).toBe(1);
    gpio.relay.set(true);
    expect(gpio.relayPinLevel).toBe(0);
    gpio.close();
    expect(gpio.relayPinLevel).toBe(1);
    expect(() => gpio.press('exit')).toThrow(expect.objectContaining({ code: 'BAD_PIN' }));
    expect(
      () =>
        new SimGpio({
          pins: {
            relay: { pin: 5, polarity: 'active-low' },
            inputs: { door: { pin: 5, polarity: 'active-high', debounceMs: 0 } },
          },
        }),
    ).toThrow(expect.objectContaining({ code: 'BAD_PIN' }));
    expect(() => new SimGpio({ pins: { relay: { pin: 40, polarity: 'active-high' }, inputs: {} } })).toThrow(
      expect.objectContaining({ code: 'BAD_PIN' }),
    );
  });
});
