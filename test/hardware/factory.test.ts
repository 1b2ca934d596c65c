import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BinaryValue, Direction } from 'onoff';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, toHardwareConfig } from '../../device/config.js';
import type { HardwareConfig } from '../../hardware/config.js';
import { createHardware } from '../../hardware/factory.js';
import type { ExitProcess } from '../../hardware/gpio/safe-exit.js';
import type { SpiTransport } from '../../hardware/leds/spi-ring.js';
import { installFakeCamera } from './camera/fake-camera.js';
import { captureLog } from '../support/log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
  dirs.push(d);
  return d;
}
/** A temp machine: /sys with a Pi 5 GPIO chip and /dev with spidev0.0, or neither. */
function machine(pi: boolean) {
  const root = tmp();
  const sys = path.join(root, 'sys');
  const dev = path.join(root, 'dev');
  fs.mkdirSync(path.join(sys, 'class', 'gpio'), { recursive: true });
  fs.mkdirSync(dev);
  if (pi) {
    const chip = path.join(sys, 'class', 'gpio', 'gpiochip571');
    fs.mkdirSync(chip);
    fs.writeFileSync(path.join(chip, 'label'), 'pinctrl-rp1\n');
    fs.writeFileSync(path.join(chip, 'base'), '571\n');
    fs.writeFileSync(path.join(chip, 'ngpio'), '54\n');
    fs.writeFileSync(path.join(dev, 'spidev0.0'), '');
  }
  return { sysfsRoot: sys, devRoot: dev };
}

/** The factory takes resolved values: the device config schema's defaults, with an exit button on BCM 22. */
const BASE = toHardwareConfig(parseConfig({ site: 'hq', gate: 'g1', inputs: { exit: { pin: 22 } } }));
function hwConfig(
  over: {
    camera?: Partial<HardwareConfig['camera']>;
    gpio?: Partial<HardwareConfig['gpio']>;
    leds?: Partial<HardwareConfig['leds']>;
  } = {},
): HardwareConfig {
  return {
    camera: { ...BASE.camera, ...over.camera },
    gpio: { ...BASE.gpio, ...over.gpio },
    leds: { ...BASE.leds, ...over.leds },
  };
}

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
  }
  watch(): void {}
  unwatchAll(): void {}
  unexport(): void {}
}

describe('createHardware', () => {
  it("gives the simulated twins in 'sim' mode", async () => {
    const { log } = captureLog();
    const hw = await createHardware(
      hwConfig({ camera: { mode: 'sim' }, gpio: { mode: 'sim' }, leds: { mode: 'sim', count: 16 } }),
      log,
    );
    expect(hw.kinds).toEqual({ camera: 'sim', gpio: 'sim', leds: 'sim', buzzer: 'none' });
    expect(hw.sim?.camera).toBe(hw.camera);
    expect(hw.sim?.gpio).toBe(hw.gpio);
    expect(hw.sim?.leds?.count).toBe(16);
    expect(Object.keys(hw.gpio.inputs)).toEqual(['exit']);
    await hw.close();
  });

  it("'auto' falls back to the twins where the devices are absent", async () => {
    const m = machine(false);
    const { log, records } = captureLog();
    const hw = await createHardware(hwConfig(), log, { ...m, env: { PATH: tmp() } });
    expect(hw.kinds).toEqual({ camera: 'sim', gpio: 'sim', leds: 'sim', buzzer: 'none' });
    expect(records().filter((r) => r.level === 40)).toHaveLength(3);
    await hw.close();
  });

  it("'auto' picks the real drivers where the devices exist and guards the relay on exit", async () => {
    const m = machine(true);
    const cam = installFakeCamera('rpicam-vid', { runs: [{ frames: 1 }] });
    dirs.push(cam.dir);
    const sent: Uint8Array[] = [];
    const transport: SpiTransport = {
      transfer: async (b) => void sent.push(b),
      transferSync: (b) => void sent.push(b),
      close: () => {},
    };
    const fakeProcess = Object.assign(new EventEmitter(), { pid: 1, kill: () => true }) as unknown as ExitProcess;
    opened.length = 0;
    const hw = await createHardware(
      hwConfig({
        gpio: {
          relay: { pin: 17, polarity: 'active-low' },
          door: { pin: 27, polarity: 'active-high', debounceMs: 40 },
        },
        leds: { count: 8 },
      }),
      captureLog().log,
      { ...m, env: cam.env, onoffGpio: RecordingGpio, openSpi: async () => transport, process: fakeProcess },
    );
    expect(hw.kinds).toEqual({ camera: 'rpicam', gpio: 'onoff', leds: 'spi', buzzer: 'none' });
    expect(hw.sim).toBeNull();
    // Pi 5: BCM 17 → 588, active-low relay opened high (released); door and exit are inputs
    expect(opened).toEqual(['588 high', '598 in', '593 in']);
    expect(fakeProcess.listeners('SIGTERM')).toHaveLength(1);
    hw.leds.show(Array.from({ length: 8 }, () => [0, 0, 0] as const));
    expect(sent).toHaveLength(1);
    await hw.close();
    expect(fakeProcess.listeners('SIGTERM')).toHaveLength(0);
    expect(cam.runs()).toHaveLength(0); // auto mode starts the camera only when frames are read
  });

  it("'real' fails with a typed error where the part is missing", async () => {
    const m = machine(false);
    await expect(createHardware(hwConfig({ gpio: { mode: 'real' } }), captureLog().log, m)).rejects.toMatchObject({
      code: 'NO_GPIO_CHIP',
    });
    await expect(
      createHardware(
        hwConfig({ gpio: { mode: 'sim' }, leds: { mode: 'sim' }, camera: { mode: 'real' } }),
        captureLog().log,
        {
          ...m,
          env: { PATH: '' },
        },
      ),
    ).rejects.toMatchObject({ code: 'BINARY_MISSING' });
  });

  it("builds a replay camera in 'replay' mode", async () => {
    const hw = await createHardware(
      hwConfig({
        camera: {
          mode: 'replay',
          width: 4,
          height: 2,
          replay: { source: [{ width: 4, height: 2, data: new Uint8Array(8).fill(7) }], fps: 0 },
        },
        gpio: { mode: 'sim' },
        leds: { mode: 'sim' },
      }),
      captureLog().log,
    );
    expect(hw.kinds.camera).toBe('replay');
    for await (const f of hw.camera.frames()) expect(f.data[0]).toBe(7);
    await hw.close();
    await expect(
      createHardware(
        hwConfig({ camera: { mode: 'replay', replay: undefined }, gpio: { mode: 'sim' }, leds: { mode: 'sim' } }),
        captureLog().log,
      ),
    ).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });
});
