// The buzzer in the hardware table: chosen from the device config, real where its device exists (a PWM chip, the
// Pi's GPIO chip), the simulated twin elsewhere in 'auto', none at all for kind 'none'.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BinaryValue, Direction } from 'onoff';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, toHardwareConfig } from '../../../device/config.js';
import type { DeviceConfigInput } from '../../../device/config.js';
import { createHardware } from '../../../hardware/factory.js';
import { captureLog } from '../../support/log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function sysfs(opts: { pwmChip?: number; gpio?: boolean }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-sys-'));
  dirs.push(root);
  if (opts.pwmChip !== undefined) {
    const chip = path.join(root, 'class', 'pwm', `pwmchip${opts.pwmChip}`);
    fs.mkdirSync(path.join(chip, 'pwm0'), { recursive: true });
    for (const f of ['export', 'unexport']) fs.writeFileSync(path.join(chip, f), '');
    for (const f of ['period', 'duty_cycle', 'enable']) fs.writeFileSync(path.join(chip, 'pwm0', f), '0');
  }
  if (opts.gpio) {
    const chip = path.join(root, 'class', 'gpio', 'gpiochip512');
    fs.mkdirSync(chip, { recursive: true });
    fs.writeFileSync(path.join(chip, 'label'), 'pinctrl-bcm2711\n');
    fs.writeFileSync(path.join(chip, 'base'), '512\n');
    fs.writeFileSync(path.join(chip, 'ngpio'), '58\n');
  }
  return root;
}

const config = (buzzer: DeviceConfigInput['buzzer']) =>
  toHardwareConfig(
    parseConfig({ site: 'hq', gate: 'g1', hardware: { gpio: 'sim', leds: 'sim' }, camera: { source: 'sim' }, buzzer }),
  );

const opened: string[] = [];
class RecordingGpio {
  private v: BinaryValue;
  constructor(
    readonly n: number,
    direction: Direction,
  ) {
    this.v = direction === 'high' ? 1 : 0;
    opened.push(`${n} ${direction}`);
  }
  readSync(): BinaryValue {
    return this.v;
  }
  writeSync(v: BinaryValue): void {
    this.v = v;
    opened.push(`${this.n}=${v}`);
  }
  watch(): void {}
  unwatchAll(): void {}
  unexport(): void {}
}

describe('buzzer part', () => {
  it('kind none: no buzzer at all', async () => {
    const hw = await createHardware(config(undefined), captureLog().log);
    expect(hw.buzzer).toBeNull();
    expect(hw.kinds.buzzer).toBe('none');
    await hw.close();
  });

  it("pwm in 'auto': the sysfs driver where the PWM chip exists, else the twin with a warning", async () => {
    const root = sysfs({ pwmChip: 2 });
    const hw = await createHardware(config({ kind: 'pwm', pwm: { chip: 2, channel: 0 } }), captureLog().log, {
      sysfsRoot: root,
    });
    expect(hw.kinds.buzzer).toBe('pwm');
    hw.buzzer?.sound(2000, 50);
    expect(fs.readFileSync(path.join(root, 'class', 'pwm', 'pwmchip2', 'pwm0', 'period'), 'utf8')).toBe('500000');
    await hw.close();

    const { log, records } = captureLog();
    const none = await createHardware(config({ kind: 'pwm', pwm: { chip: 5 } }), log, { sysfsRoot: root });
    expect(none.kinds.buzzer).toBe('sim');
    expect(none.sim?.buzzer).toBe(none.buzzer);
    expect(records().some((r) => String(r['msg']).includes('using the simulated buzzer'))).toBe(true);
    await none.close();
  });

  it("pwm in 'real' mode without the chip is a typed start-up error", async () => {
    const root = sysfs({});
    const cfg = parseConfig({
      site: 'hq',
      gate: 'g1',
      hardware: { gpio: 'sim', leds: 'sim', buzzer: 'real' },
      camera: { source: 'sim' },
      buzzer: { kind: 'pwm' },
    });
    await expect(createHardware(toHardwareConfig(cfg), captureLog().log, { sysfsRoot: root })).rejects.toMatchObject({
      code: 'NO_PWM_CHIP',
    });
  });

  it('active: a GPIO output through the line driver, opened silent at the Bookworm sysfs number', async () => {
    const root = sysfs({ gpio: true });
    opened.length = 0;
    const hw = await createHardware(config({ kind: 'active', pin: 23, polarity: 'active-low' }), captureLog().log, {
      sysfsRoot: root,
      onoffGpio: RecordingGpio,
    });
    expect(hw.kinds.buzzer).toBe('gpio');
    hw.buzzer?.sound(2000, 50);
    hw.buzzer?.silence();
    await hw.close();
    // Pi 4: BCM 23 → 535; active-low: opened high (silent), low to sound, high again
    expect(opened).toEqual(['535 high', '535=1', '535=0', '535=1', '535=1']);
  });
});
