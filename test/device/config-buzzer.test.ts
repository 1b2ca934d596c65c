// The `buzzer` section of the device config: defaults, the checks with their paths, and what reaches the runtime.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../device/config.js';
import type { ConfigIssue, DeviceConfigInput } from '../../device/config.js';
import { runtimeOptions } from '../../device/boot.js';
import { bootConfigLines } from '../../device/config/hardware.js';

function issues(buzzer: DeviceConfigInput['buzzer'], extra: Partial<DeviceConfigInput> = {}): ConfigIssue[] {
  try {
    parseConfig({ site: 'hq', gate: 'g1', buzzer, ...extra });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

describe('buzzer config', () => {
  it('defaults to no buzzer, volume 50, no quiet hours', () => {
    const c = parseConfig({ site: 'hq', gate: 'g1' });
    expect(c.buzzer).toEqual({ kind: 'none', polarity: 'active-high', pwm: { chip: 0, channel: 0 }, volume: 50 });
    expect(c.hardware.buzzer).toBe('auto');
    expect(runtimeOptions(c, false).buzzer).toEqual({ volume: 50, quietHours: null, timeZone: null });
  });

  it('passes volume, quiet hours and zone to the runtime', () => {
    const c = parseConfig({
      site: 'hq',
      gate: 'g1',
      buzzer: {
        kind: 'pwm',
        pwm: { chip: 2, channel: 1 },
        volume: 80,
        quietHours: '22:00-07:00',
        timeZone: 'Europe/Berlin',
      },
    });
    expect(runtimeOptions(c, false).buzzer).toEqual({
      volume: 80,
      quietHours: { from: 1320, to: 420 },
      timeZone: 'Europe/Berlin',
    });
  });

  it('reports each problem with its path', () => {
    expect(issues({ kind: 'active' })).toEqual([{ path: 'buzzer.pin', message: 'required when kind is active' }]);
    expect(issues({ kind: 'active', pin: 17 })).toEqual([
      { path: 'buzzer.pin', message: 'BCM 17 is already relay.pin' },
    ]);
    expect(issues({ kind: 'active', pin: 10 })[0]?.message).toMatch(/SPI0/);
    expect(issues({ kind: 'active', pin: 22 }, { inputs: { exit: { pin: 22 } } })[0]?.message).toBe(
      'BCM 22 is already inputs.exit.pin',
    );
    expect(issues({ quietHours: '22-7' })[0]?.path).toBe('buzzer.quietHours');
    expect(issues({ timeZone: 'Mars/Base' })[0]?.path).toBe('buzzer.timeZone');
    expect(issues({ volume: 0 })[0]?.path).toBe('buzzer.volume');
    expect(issues({ kind: 'piezo' as 'pwm' })[0]?.path).toBe('buzzer.kind');
  });

  it('an active buzzer is held silent from power-on by config.txt; a PWM piezo needs no line', () => {
    const active = parseConfig({ site: 'hq', gate: 'g1', buzzer: { kind: 'active', pin: 18, polarity: 'active-low' } });
    expect(bootConfigLines(active)).toContain('gpio=18=op,dh');
    const pwm = parseConfig({ site: 'hq', gate: 'g1', buzzer: { kind: 'pwm' } });
    expect(bootConfigLines(pwm).filter((l) => l.startsWith('gpio='))).toEqual(['gpio=17=op,dl']);
  });
});
