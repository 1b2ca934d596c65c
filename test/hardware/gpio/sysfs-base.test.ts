import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createOnoffLines } from '../../../hardware/gpio/onoff-lines.js';
import { findPiGpioChip, sysfsNumber } from '../../../hardware/gpio/sysfs-base.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

/** A temp sysfs root with these gpiochips (label, base, ngpio). */
function tree(chips: [label: string, base: number, ngpio: number][]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  roots.push(root);
  const dir = path.join(root, 'class', 'gpio');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'export'), '');
  for (const [label, base, ngpio] of chips) {
    const chip = path.join(dir, `gpiochip${base}`);
    fs.mkdirSync(chip);
    fs.writeFileSync(path.join(chip, 'label'), label + '\n');
    fs.writeFileSync(path.join(chip, 'base'), `${base}\n`);
    fs.writeFileSync(path.join(chip, 'ngpio'), `${ngpio}\n`);
  }
  return root;
}

describe('BCM → sysfs resolver', () => {
  const cases = [
    {
      title: 'Pi 3 on Bullseye (base 0)',
      chips: [
        ['pinctrl-bcm2835', 0, 54],
        ['raspberrypi-exp-gpio', 504, 8],
      ],
      label: 'pinctrl-bcm2835',
      gpio17: 17,
    },
    {
      title: 'Pi 3 / Zero 2 W on Bookworm',
      chips: [
        ['pinctrl-bcm2835', 512, 54],
        ['raspberrypi-exp-gpio', 566, 8],
      ],
      label: 'pinctrl-bcm2835',
      gpio17: 529,
    },
    {
      title: 'Pi 4 on Bookworm',
      chips: [
        ['raspberrypi-exp-gpio', 570, 8],
        ['pinctrl-bcm2711', 512, 58],
      ],
      label: 'pinctrl-bcm2711',
      gpio17: 529,
    },
    {
      title: 'Pi 5 on Bookworm',
      chips: [
        ['gpio-brcmstb@107d508500', 512, 32],
        ['gpio-brcmstb@107d508520', 544, 4],
        ['gpio-brcmstb@107d517c00', 548, 17],
        ['gpio-brcmstb@107d517c20', 565, 6],
        ['pinctrl-rp1', 571, 54],
      ],
      label: 'pinctrl-rp1',
      gpio17: 588,
    },
  ] as const;

  it.each(cases)('$title', ({ chips, label, gpio17 }) => {
    const chip = findPiGpioChip(tree(chips.map((c) => [...c])));
    expect(chip.label).toBe(label);
    expect(sysfsNumber(chip, 17)).toBe(gpio17);
    expect(() => sysfsNumber(chip, 60)).toThrow(expect.objectContaining({ code: 'BAD_PIN' }));
    expect(() => sysfsNumber(chip, -1)).toThrow(expect.objectContaining({ code: 'BAD_PIN' }));
  });

  it('names what it found when no chip matches', () => {
    const root = tree([['INT34C6:00', 512, 360]]);
    expect(() => findPiGpioChip(root)).toThrow(
      expect.objectContaining({
        name: 'GpioError',
        code: 'NO_GPIO_CHIP',
        message: expect.stringContaining('INT34C6:00'),
      }),
    );
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
    roots.push(empty);
    expect(() => findPiGpioChip(empty)).toThrow(expect.objectContaining({ code: 'NO_GPIO_CHIP' }));
  });

  it('refuses to open onoff lines on a machine without a Pi GPIO chip', async () => {
    await expect(createOnoffLines({ sysfsRoot: tree([['gpio-sim', 0, 8]]) })).rejects.toMatchObject({
      code: 'NO_GPIO_CHIP',
    });
  });
});
