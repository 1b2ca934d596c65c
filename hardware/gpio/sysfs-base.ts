// BCM pin number → sysfs GPIO number. Since Linux 6.6 (Raspberry Pi OS Bookworm) gpiochip bases are dynamic:
// the header pins are on the chip labelled pinctrl-bcm2835 (Pi 3, Zero 2 W), pinctrl-bcm2711 (Pi 4) or
// pinctrl-rp1 (Pi 5), at base 512 or 571 rather than 0. So the number is read, never hard-coded.
import fs from 'node:fs';
import path from 'node:path';
import { GpioError } from './errors.js';

export const PI_GPIO_LABELS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'] as const;

export interface GpioChip {
  /** e.g. gpiochip512 */
  readonly name: string;
  readonly label: string;
  readonly base: number;
  readonly ngpio: number;
}

/** The chip that carries the Pi's BCM GPIOs, read from `<sysfsRoot>/class/gpio/gpiochip*`. */
export function findPiGpioChip(sysfsRoot = '/sys'): GpioChip {
  const dir = path.join(sysfsRoot, 'class', 'gpio');
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => /^gpiochip\d+$/.test(n));
  } catch {
    throw new GpioError('NO_GPIO_CHIP', `${dir} does not exist: this kernel has no sysfs GPIO (not a Raspberry Pi?)`);
  }
  const seen: string[] = [];
  for (const name of names.sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))) {
    const read = (f: string) => fs.readFileSync(path.join(dir, name, f), 'utf8').trim();
    let label: string;
    try {
      label = read('label');
    } catch {
      continue;
    }
    seen.push(label);
    if (!(PI_GPIO_LABELS as readonly string[]).includes(label)) continue;
    const base = Number(read('base'));
    const ngpio = Number(read('ngpio'));
    if (!Number.isInteger(base) || base < 0 || !Number.isInteger(ngpio) || ngpio < 1) {
      throw new GpioError('NO_GPIO_CHIP', `${name} (${label}) has an unreadable base or ngpio`);
    }
    return { name, label, base, ngpio };
  }
  throw new GpioError(
    'NO_GPIO_CHIP',
    `no gpiochip labelled ${PI_GPIO_LABELS.join(', ')} in ${dir} (found: ${seen.join(', ') || 'none'})`,
  );
}

/** The sysfs number of a BCM pin on that chip. */
export function sysfsNumber(chip: GpioChip, bcm: number): number {
  if (!Number.isInteger(bcm) || bcm < 0 || bcm >= Math.min(chip.ngpio, 54)) {
    throw new GpioError('BAD_PIN', `BCM pin ${bcm} is not on ${chip.label} (0..${Math.min(chip.ngpio, 54) - 1})`);
  }
  return chip.base + bcm;
}
