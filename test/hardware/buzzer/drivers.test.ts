// The buzzer drivers at their seams: sysfs PWM against a temp directory tree shaped like /sys/class/pwm (a test
// "kernel" creates the channel's files when it is exported), the active buzzer on a recording GPIO line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActiveBuzzer } from '../../../hardware/buzzer/active.js';
import { BuzzerError, SysfsPwmBuzzer } from '../../../hardware/buzzer/pwm.js';
import { SimBuzzer } from '../../../hardware/buzzer/sim.js';
import type { GpioLine, Level } from '../../../hardware/gpio/line.js';

let root = '';
let chip = '';
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-pwm-'));
  chip = path.join(root, 'class', 'pwm', 'pwmchip2');
  fs.mkdirSync(chip, { recursive: true });
  for (const f of ['export', 'unexport']) fs.writeFileSync(path.join(chip, f), '');
  fs.writeFileSync(path.join(chip, 'npwm'), '4\n');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** What the kernel does on export: the channel's directory with its files appears. */
function kernelExport(channel: number): void {
  const dir = path.join(chip, `pwm${channel}`);
  fs.mkdirSync(dir);
  for (const f of ['period', 'duty_cycle', 'enable']) fs.writeFileSync(path.join(dir, f), '0\n');
}

const read = (channel: number, f: string) => fs.readFileSync(path.join(chip, `pwm${channel}`, f), 'utf8').trim();

describe('sysfs PWM buzzer', () => {
  it('exports the channel, waits for its files, and sets period, duty cycle and enable', async () => {
    const writes: string[] = [];
    const write = (file: string, text: string) => {
      writes.push(`${path.relative(chip, file)}=${text}`);
      fs.writeFileSync(file, text);
      if (file.endsWith('export') && !file.endsWith('unexport')) setTimeout(() => kernelExport(Number(text)), 30);
    };
    const b = await SysfsPwmBuzzer.open({ sysfsRoot: root, chip: 2, channel: 1, write });
    expect(writes).toEqual(['export=1', 'pwm1/enable=0']);
    b.sound(2000, 100);
    expect([read(1, 'period'), read(1, 'duty_cycle'), read(1, 'enable')]).toEqual(['500000', '250000', '1']);
    writes.length = 0;
    b.sound(400, 40); // a new pitch: the duty cycle goes to 0 before the period changes
    b.sound(2500, 40); // here a period below the duty cycle held would be refused by the kernel otherwise
    expect(writes).toEqual([
      'pwm1/duty_cycle=0',
      'pwm1/period=2500000',
      'pwm1/duty_cycle=500000',
      'pwm1/duty_cycle=0',
      'pwm1/period=400000',
      'pwm1/duty_cycle=80000',
    ]);
    b.silence();
    expect(read(1, 'enable')).toBe('0');
    b.sound(2500, 0); // volume 0 is silence
    expect(read(1, 'enable')).toBe('0');
    writes.length = 0;
    b.close();
    expect(writes).toEqual(['pwm1/enable=0', 'unexport=1']);
  });

  it('uses a channel that is already exported and leaves it exported', async () => {
    kernelExport(0);
    fs.writeFileSync(path.join(chip, 'pwm0', 'enable'), '1\n'); // left on by an earlier process
    const b = await SysfsPwmBuzzer.open({ sysfsRoot: root, chip: 2, channel: 0 });
    expect(read(0, 'enable')).toBe('0');
    expect(fs.readFileSync(path.join(chip, 'export'), 'utf8')).toBe('');
    b.close();
    expect(fs.readFileSync(path.join(chip, 'unexport'), 'utf8')).toBe('');
  });

  it('typed errors: no chip, a channel that never appears, a write the kernel refuses', async () => {
    const code = async (p: Promise<unknown>) => p.then(() => 'OK').catch((e: unknown) => (e as BuzzerError).code);
    expect(await code(SysfsPwmBuzzer.open({ sysfsRoot: root, chip: 7, channel: 0 }))).toBe('NO_PWM_CHIP');
    expect(await code(SysfsPwmBuzzer.open({ sysfsRoot: root, chip: 2, channel: 3, exportWaitMs: 50 }))).toBe(
      'EXPORT_FAILED',
    );
    kernelExport(0);
    const refuse = (file: string, text: string) => {
      if (file.endsWith('period')) throw Object.assign(new Error('Invalid argument'), { code: 'EINVAL' });
      fs.writeFileSync(file, text);
    };
    const b = await SysfsPwmBuzzer.open({ sysfsRoot: root, chip: 2, channel: 0, write: refuse });
    expect(() => b.sound(2000, 50)).toThrow(BuzzerError);
    expect(() => b.sound(2000, 50)).toThrow(/PWM period: EINVAL/);
  });
});

class RecordingLine implements GpioLine {
  readonly levels: Level[] = [];
  released = false;
  read(): Level {
    return this.levels.at(-1) ?? 0;
  }
  write(level: Level): void {
    this.levels.push(level);
  }
  watch(): void {}
  release(): void {
    this.released = true;
  }
}

describe('active buzzer on a GPIO output', () => {
  it('drives the line on and off by polarity; pitch is ignored; close leaves it off and released', () => {
    const line = new RecordingLine();
    const b = new ActiveBuzzer(line, 'active-low');
    b.sound(2000, 80);
    b.sound(400, 80); // already on: no write
    b.silence();
    b.sound(2000, 0); // volume 0: off
    b.close();
    expect(line.levels).toEqual([1, 0, 1, 1]);
    expect(line.released).toBe(true);
  });
});

describe('simulated buzzer', () => {
  it('records changes with their time and leaves out repeats', () => {
    let t = 0;
    const b = new SimBuzzer(() => t);
    b.sound(2000, 50);
    t = 120;
    b.silence();
    b.silence();
    expect(b.played).toEqual([
      { at: 0, hz: 2000, volume: 50 },
      { at: 120, hz: 0, volume: 0 },
    ]);
    expect(b.tones()).toHaveLength(1);
    expect(b.sounding).toBe(false);
  });
});
