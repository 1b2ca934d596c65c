// Real GPIO lines through onoff (sysfs), an optional native module loaded only here.
import type { Logger } from 'pino';
import { GpioError } from './errors.js';
import type { GpioLine, GpioLineFactory, Level } from './line.js';
import { findPiGpioChip, sysfsNumber } from './sysfs-base.js';

import type { BinaryValue, Direction, Edge, Options } from 'onoff';

/** The part of onoff's Gpio this driver uses; tests inject a recording class of this shape. */
export interface OnoffGpioLike {
  readSync(): BinaryValue;
  writeSync(value: BinaryValue): void;
  watch(callback: (err: Error | null | undefined, value: BinaryValue) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
export type OnoffGpioClass = new (gpio: number, direction: Direction, edge?: Edge, options?: Options) => OnoffGpioLike;

export async function loadOnoff(): Promise<OnoffGpioClass> {
  try {
    const mod = (await import('onoff')) as { Gpio?: OnoffGpioClass; default?: { Gpio: OnoffGpioClass } };
    const Gpio = mod.Gpio ?? mod.default?.Gpio;
    if (!Gpio) throw new Error('onoff has no Gpio export');
    return Gpio;
  } catch (e) {
    throw new GpioError(
      'DRIVER_MISSING',
      `the optional module onoff is not installed or not built (${(e as Error).message}): npm install onoff`,
    );
  }
}

export function wrapOnoffGpio(g: OnoffGpioLike): GpioLine {
  let released = false;
  return {
    read: () => g.readSync(),
    write: (level: Level) => g.writeSync(level),
    watch: (listener) =>
      g.watch((err, value) => {
        if (!err) listener(value);
      }),
    release: () => {
      if (released) return;
      released = true;
      g.unwatchAll();
      g.unexport();
    },
  };
}

/** Lines on the Pi's BCM GPIO chip, numbered by BCM pin. `sysfsRoot` is only for finding the chip base. */
export async function createOnoffLines(
  opts: { sysfsRoot?: string; log?: Logger; Gpio?: OnoffGpioClass } = {},
): Promise<GpioLineFactory> {
  const chip = findPiGpioChip(opts.sysfsRoot);
  const Gpio = opts.Gpio ?? (await loadOnoff());
  opts.log?.info({ chip: chip.name, label: chip.label, base: chip.base }, 'GPIO chip found');
  const open = (bcm: number, make: (n: number) => OnoffGpioLike): GpioLine => {
    const n = sysfsNumber(chip, bcm);
    try {
      return wrapOnoffGpio(make(n));
    } catch (e) {
      throw new GpioError(
        'DEVICE_UNAVAILABLE',
        `cannot open GPIO ${bcm} (sysfs ${n}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; is the user in the gpio group?`,
      );
    }
  };
  return {
    // 'high'/'low' set the direction and the level in one write: no glitch through the energised level.
    // activeLow is reset explicitly: a pin left exported with active_low=1 would otherwise read inverted.
    output: (bcm, initial) =>
      open(bcm, (n) => new Gpio(n, initial === 1 ? 'high' : 'low', 'none', { activeLow: false })),
    input: (bcm) => open(bcm, (n) => new Gpio(n, 'in', 'both', { activeLow: false })),
  };
}
