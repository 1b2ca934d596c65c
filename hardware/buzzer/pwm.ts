// A piezo on a hardware PWM channel through Linux sysfs (/sys/class/pwm/pwmchipN): export the channel, then set
// period (the pitch) and duty_cycle (the volume) in nanoseconds and enable it. On a Pi the channel comes from a
// device-tree overlay (hardware/INSTALL.md, _Buzzer_); the files are group-writable for `gpio` once udev has run.
// The kernel refuses a period below the current duty cycle, so the duty cycle goes to 0 before the period changes.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pwmTiming } from './pattern.js';
import type { Buzzer } from './types.js';

export type BuzzerErrorCode =
  /** No /sys/class/pwm/pwmchipN: the PWM overlay is not loaded. */
  | 'NO_PWM_CHIP'
  /** The channel did not appear (or stayed read-only) after export: a wrong channel or permissions. */
  | 'EXPORT_FAILED'
  /** A sysfs write failed (EINVAL, EACCES, …). */
  | 'WRITE_FAILED';

export class BuzzerError extends Error {
  override readonly name = 'BuzzerError';
  constructor(
    readonly code: BuzzerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface PwmOptions {
  readonly sysfsRoot?: string; // /sys
  readonly chip: number;
  readonly channel: number;
  /** How long to wait for the exported channel's files to appear and become writable. Default 2000 ms. */
  readonly exportWaitMs?: number;
  /** The write seam (default fs.writeFileSync), for tests that record the order of writes. */
  readonly write?: (file: string, text: string) => void;
}

export function pwmChipDir(sysfsRoot: string, chip: number): string {
  return path.join(sysfsRoot, 'class', 'pwm', `pwmchip${chip}`);
}

function writable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export class SysfsPwmBuzzer implements Buzzer {
  private periodNs = 0;
  private dutyNs = 0;
  private enabled = false;
  private closed = false;

  private constructor(
    private readonly chipDir: string,
    private readonly channel: number,
    private readonly exported: boolean,
    private readonly writeFile: (file: string, text: string) => void,
  ) {}

  /** Export the channel (unless it already is), wait for its files, and start silent. */
  static async open(opts: PwmOptions): Promise<SysfsPwmBuzzer> {
    const chipDir = pwmChipDir(opts.sysfsRoot ?? '/sys', opts.chip);
    if (!fs.existsSync(chipDir))
      throw new BuzzerError('NO_PWM_CHIP', `no ${chipDir}: load a PWM overlay (see hardware/INSTALL.md, Buzzer)`);
    const write = opts.write ?? ((f: string, t: string) => fs.writeFileSync(f, t));
    const dir = path.join(chipDir, `pwm${opts.channel}`);
    let exported = false;
    if (!fs.existsSync(dir)) {
      try {
        write(path.join(chipDir, 'export'), String(opts.channel));
      } catch (e) {
        throw new BuzzerError('EXPORT_FAILED', `cannot export PWM channel ${opts.channel}: ${errCode(e)}`);
      }
      exported = true;
    }
    const deadline = Date.now() + (opts.exportWaitMs ?? 2000);
    while (!writable(path.join(dir, 'duty_cycle')) || !writable(path.join(dir, 'enable'))) {
      if (Date.now() > deadline)
        throw new BuzzerError(
          'EXPORT_FAILED',
          `PWM channel ${opts.channel} of pwmchip${opts.chip} is not writable; is the user in the gpio group?`,
        );
      await sleep(10);
    }
    const b = new SysfsPwmBuzzer(chipDir, opts.channel, exported, write);
    b.put('enable', 0); // it may have been left on by an earlier process
    return b;
  }

  sound(hz: number, volume: number): void {
    if (this.closed) return;
    const { periodNs, dutyNs } = pwmTiming(hz, volume);
    if (dutyNs === 0) {
      this.silence();
      return;
    }
    if (periodNs !== this.periodNs) {
      if (this.dutyNs !== 0) this.put('duty_cycle', 0);
      this.dutyNs = 0;
      this.put('period', periodNs);
      this.periodNs = periodNs;
    }
    if (dutyNs !== this.dutyNs) {
      this.put('duty_cycle', dutyNs);
      this.dutyNs = dutyNs;
    }
    if (!this.enabled) {
      this.put('enable', 1);
      this.enabled = true;
    }
  }

  silence(): void {
    if (!this.enabled || this.closed) return;
    this.put('enable', 0);
    this.enabled = false;
  }

  /** Disabled and, when this process exported it, unexported; a second call does nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.put('enable', 0);
      this.enabled = false;
    } finally {
      if (this.exported) this.writeFile(path.join(this.chipDir, 'unexport'), String(this.channel));
    }
  }

  private put(name: string, value: number): void {
    try {
      this.writeFile(path.join(this.chipDir, `pwm${this.channel}`, name), String(value));
    } catch (e) {
      throw new BuzzerError('WRITE_FAILED', `PWM ${name}: ${errCode(e)}`);
    }
  }
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}
