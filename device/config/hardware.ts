// From the device config to the hardware factory's settings (hardware/config.ts), and the lines an installer puts
// in /boot/firmware/config.txt for these pins.
import type { HardwareConfig, InputConfig } from '../../hardware/config.js';
import { bootBlock } from '../install/derive.js';
import type { DeviceConfig } from './schema.js';

type Inputs = DeviceConfig['inputs'];

function inputFor(i: Inputs[keyof Inputs]): InputConfig | null {
  return i === undefined ? null : { pin: i.pin, polarity: i.polarity, debounceMs: i.debounceMs };
}

function cameraFor(c: DeviceConfig['camera']): HardwareConfig['camera'] {
  const common = {
    width: c.width,
    height: c.height,
    framerate: c.framerate,
    focus: c.focus,
    ev: c.ev,
    metering: c.metering,
    ...(c.shutterUs === undefined ? {} : { shutterUs: c.shutterUs }),
    ...(c.stride === undefined ? {} : { stride: c.stride }),
    ...(c.usb.device === undefined ? {} : { usbDevice: c.usb.device }),
  };
  switch (c.source) {
    case 'auto':
      return { ...common, mode: 'auto' };
    case 'sim':
      return { ...common, mode: 'sim' };
    case 'rpicam':
      return { ...common, mode: 'real', source: 'csi' };
    case 'usb':
      return { ...common, mode: 'real', source: 'usb' };
    case 'replay': {
      const files = c.replay.files ?? [];
      const source = files.length === 1 ? (files[0] as string) : files;
      return { ...common, mode: 'replay', replay: { source, fps: c.replay.fps, loop: c.replay.loop } };
    }
  }
}

/**
 * The hardware factory's config for this device config, every value resolved (the schema holds the defaults; the
 * factory has none). Inputs that are not configured are off (null).
 */
export function toHardwareConfig(config: DeviceConfig): HardwareConfig {
  const spi = /^\/dev\/spidev(\d+)\.(\d+)$/.exec(config.leds.spiDevice);
  return {
    camera: cameraFor(config.camera),
    gpio: {
      mode: config.hardware.gpio,
      relay: { pin: config.relay.pin, polarity: config.relay.polarity },
      door: inputFor(config.inputs.door),
      exit: inputFor(config.inputs.exit),
      rotation: inputFor(config.inputs.rotation),
      fire: inputFor(config.inputs.fire),
      lockdown: inputFor(config.inputs.lockdown),
      tamper: inputFor(config.inputs.tamper),
    },
    leds: {
      mode: config.hardware.leds,
      count: config.leds.count,
      spiBus: Number(spi?.[1] ?? 0),
      spiDevice: Number(spi?.[2] ?? 0),
      bitsPerBit: config.leds.speedHz === 3_200_000 ? 4 : 3,
      spiHz: config.leds.speedHz,
      order: config.leds.order,
      brightness: config.leds.brightness,
      gamma: config.leds.gamma,
      maxCurrentMa: config.leds.maxCurrentMa,
    },
    buzzer: {
      mode: config.hardware.buzzer,
      kind: config.buzzer.kind,
      ...(config.buzzer.pin === undefined ? {} : { pin: config.buzzer.pin }),
      polarity: config.buzzer.polarity,
      pwmChip: config.buzzer.pwm.chip,
      pwmChannel: config.buzzer.pwm.channel,
    },
  };
}

/**
 * The /boot/firmware/config.txt lines for this config: SPI on for the LED ring, the relay pin driven to its safe
 * level from power-on, each input's pull resistor, the camera and the RTC (see device/install/derive.ts, the one
 * place these are derived; `gatecode setup` writes them).
 */
export function bootConfigLines(config: DeviceConfig): string[] {
  return bootBlock(config).filter((l) => !l.startsWith('#'));
}
