// Fire release through the real runtime on simulated GPIO: a debounced normally-closed loop; when it opens the
// relay is energised (free passage) within one debounce interval and stays so whatever else happens, until the
// loop closes again.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDecoder } from '../../device/decode/index.js';
import type { FrameDecoder } from '../../device/decode/index.js';
import { renderPhoneScene } from '../../hardware/camera/sim/scene.js';
import { DEFAULT_SIM_PINS } from '../../hardware/gpio/sim.js';
import type { GpioPinsConfig } from '../../hardware/gpio/ports.js';
import { Harness } from './helpers/harness.js';

const DEBOUNCE_MS = 40;
const PINS: GpioPinsConfig = {
  relay: DEFAULT_SIM_PINS.relay,
  inputs: {
    ...DEFAULT_SIM_PINS.inputs,
    fire: { pin: 24, polarity: 'active-high', debounceMs: DEBOUNCE_MS },
  },
};

let decoder: FrameDecoder;
let h: Harness | null = null;
beforeAll(async () => {
  decoder = await createDecoder({ engine: 'zxing' });
});
afterAll(async () => {
  await decoder.close();
});
afterEach(async () => {
  await h?.stop();
  h = null;
});

/** Open the fire loop and let one debounce interval pass. */
function fireAlarm(x: Harness): void {
  x.gpio.setInput('fire', true);
  x.advance(DEBOUNCE_MS);
}

describe('fire release', { timeout: 60_000 }, () => {
  it('holds the relay energised while the loop is open, with a pass in view that is refused', async () => {
    h = await Harness.start({ decoder, pins: PINS });
    const frame = await renderPhoneScene(h.d.pass({ colour: 'red' }).text, { seed: 7 });
    await h.show(frame, 3); // the red pass is in view
    expect(h.outcomes.at(-1)?.decision).toMatchObject({ colour: 'red', opens: false });
    expect(h.gpio.relay.active).toBe(false);
    h.gpio.setInput('fire', true);
    h.advance(DEBOUNCE_MS - 1);
    expect(h.gpio.relay.active).toBe(false); // not yet debounced: a glitch shorter than this opens nothing
    h.advance(1);
    expect(h.gpio.relay.active).toBe(true);
    expect(h.gpio.relayPinLevel).toBe(1);
    await h.show(frame, 5); // still in view, still refused: the relay stays released
    h.advance(60_000); // longer than every pulse, hold and held-open timer
    expect(h.gpio.relay.active).toBe(true);
    expect(h.hub.snapshot().alarms).toContain('fire-release');
    expect(h.hub.snapshot().alarms).not.toContain('door-held-open');
    expect(h.hub.snapshot().inputs.fire).toBe(true);
    expect(h.runtime.leds.current().pattern).toBe('fire-release');
    expect(h.store.counters()['alarm:fire-release']).toBe(1);
    // The loop closes again: back to normal, relay safe.
    h.gpio.setInput('fire', false);
    h.advance(DEBOUNCE_MS);
    expect(h.gpio.relay.active).toBe(false);
    h.advance(1000);
    expect(h.hub.snapshot().alarms).not.toContain('fire-release');
    expect(h.runtime.leds.current().pattern).toBe('idle');
  });

  it('a grant pulse that ends during the alarm does not lock the gate', async () => {
    h = await Harness.start({ decoder, pins: PINS });
    const frame = await renderPhoneScene(h.d.pass().text, { seed: 8 });
    expect(await h.decideFrame(frame)).toMatchObject({ colour: 'green', opens: true });
    expect(h.gpio.relay.active).toBe(true); // pulsing
    fireAlarm(h);
    h.advance(2000); // the 400 ms pulse is long over
    expect(h.gpio.relay.active).toBe(true);
    h.gpio.press('exit'); // the exit button during the alarm changes nothing either
    h.advance(2000);
    expect(h.gpio.relay.active).toBe(true);
  });

  it('releases the gate with the decoder crashed', async () => {
    const crashed: FrameDecoder = {
      decode: () => Promise.reject(new Error('decoder worker crashed')),
      close: () => Promise.resolve(),
    };
    h = await Harness.start({ decoder: crashed, pins: PINS });
    await h.show(await renderPhoneScene(h.d.pass().text, { seed: 9 }), 2); // both decodes fail
    expect(h.outcomes).toHaveLength(0);
    fireAlarm(h);
    expect(h.gpio.relay.active).toBe(true);
  });

  it('stays released on the last-chance exit path during the alarm', async () => {
    h = await Harness.start({ decoder, pins: PINS });
    fireAlarm(h);
    expect(h.gpio.relay.active).toBe(true);
    h.runtime.safeNow(); // the last-chance exit path keeps a release gate released during the alarm
    expect(h.gpio.relay.active).toBe(true);
  });

  it('is safe again, and on the exit path, once the loop closes', async () => {
    h = await Harness.start({ decoder, pins: PINS });
    fireAlarm(h);
    h.gpio.setInput('fire', false);
    h.advance(DEBOUNCE_MS);
    h.runtime.safeNow();
    expect(h.gpio.relay.active).toBe(false);
    expect(h.gpio.relayChanges.map((c) => c.active)).toEqual([true, false]);
  });
});

describe('fire release against a lockdown command', { timeout: 60_000 }, () => {
  it('a remote lockdown command, before or during the alarm, cannot lock the gate', async () => {
    h = await Harness.start({ decoder, pins: PINS });
    h.runtime.setLockdown(true, 'test');
    expect(h.gpio.relay.active).toBe(false);
    fireAlarm(h);
    expect(h.gpio.relay.active).toBe(true);
    h.runtime.setLockdown(false, 'test');
    h.runtime.setLockdown(true, 'test'); // a fresh lockdown in the middle of the alarm
    expect(h.gpio.relay.active).toBe(true);
    h.advance(10_000);
    expect(h.gpio.relay.active).toBe(true);
    expect(h.hub.snapshot().alarms).toEqual(expect.arrayContaining(['fire-release', 'lockdown']));
  });
});
