// The runtime's alarm board on its own (device/alarms/board.ts): what each raise does on the gate, the LEDs and the
// buzzer, the list it publishes and emits (held alarms first, then the runtime's derived states), and listeners that
// throw. The runtime's wiring of it is covered by test/device/tamper.test.ts, lockdown.test.ts and runtime-alarms.
import { describe, expect, it } from 'vitest';
import { AlarmBoard } from '../../../device/alarms/board.js';
import type { DigitalInput, InputName } from '../../../hardware/gpio/types.js';
import { collectingLog } from '../../support/log.js';

function input(name: InputName): DigitalInput & { active: boolean } {
  return { name, active: false, onChange: () => () => {}, close: () => {} };
}

function board(derived: string[] = []) {
  const lockdown = input('lockdown');
  const tamper = input('tamper');
  const calls: string[] = [];
  const published: string[][] = [];
  const { log, lines } = collectingLog();
  const b = new AlarmBoard({
    inputs: { lockdown, tamper },
    gate: { lock: () => calls.push('gate.lock') },
    leds: {
      setDoorAlarm: (on) => calls.push(`leds.door ${on}`),
      setFireRelease: (on) => calls.push(`leds.fire ${on}`),
    },
    buzzer: { alarm: (a) => calls.push(`buzzer ${a}`) },
    log,
    derived: () => derived,
    publish: (l) => published.push([...l]),
  });
  return { b, lockdown, tamper, calls, published, lines };
}

describe('AlarmBoard', () => {
  it('the lockdown command or input locks the gate and sounds once; it ends when neither holds', () => {
    const { b, lockdown, calls, published } = board(['stale-data']);
    b.setLockdownCommand(true);
    expect(b.lockdown).toBe(true);
    expect(calls).toEqual(['buzzer lockdown', 'gate.lock']);
    expect(published).toEqual([['lockdown', 'stale-data']]);
    lockdown.active = true;
    b.updateLockdown(); // already on: nothing new
    b.setLockdownCommand(false); // the input still holds it
    expect([b.lockdown, calls.length, published.length]).toEqual([true, 2, 1]);
    lockdown.active = false;
    b.updateLockdown();
    expect(b.lockdown).toBe(false);
    expect(published.at(-1)).toEqual(['stale-data']);
  });

  it('the tamper loop raises tamper with the door/alarm LEDs and the sound; closed clears both', () => {
    const { b, tamper, calls } = board();
    tamper.active = true;
    b.updateTamper();
    b.updateTamper();
    expect(b.list()).toEqual(['tamper']);
    expect(calls).toEqual(['buzzer tamper', 'leds.door true']);
    tamper.active = false;
    b.updateTamper();
    expect(b.list()).toEqual([]);
    expect(calls.at(-1)).toBe('leds.door false');
  });

  it('a gate alarm sounds once when it begins; the fire release has its own LED pattern, not the door one', () => {
    const { b, calls } = board();
    b.gateAlarm('fire-release', true);
    expect(calls).toEqual(['buzzer fire-release', 'leds.fire true', 'leds.door false']);
    b.gateAlarm('door-forced', true);
    b.gateAlarm('door-forced', true);
    expect(calls.filter((c) => c === 'buzzer door-forced')).toHaveLength(1);
    expect(calls.at(-1)).toBe('leds.door true');
    b.gateAlarm('door-forced', false);
    b.gateAlarm('fire-release', false);
    expect(calls.slice(-2)).toEqual(['leds.fire false', 'leds.door false']);
    expect(b.list()).toEqual([]);
  });

  it('tells every listener each change; a throwing one is logged and the others still hear; unsubscribe stops it', () => {
    const { b, lines } = board(['offline']);
    const heard: string[][] = [];
    b.onAlarms(() => {
      throw new Error('boom');
    });
    const off = b.onAlarms((l) => heard.push([...l]));
    b.gateAlarm('door-held-open', true);
    b.emit(b.list());
    expect(heard).toEqual([
      ['door-held-open', 'offline'],
      ['door-held-open', 'offline'],
    ]);
    expect(lines.filter((l) => l['msg'] === 'alarm listener failed')).toHaveLength(2);
    off();
    b.gateAlarm('door-held-open', false);
    expect(heard).toHaveLength(2);
  });
});
