// The LED ring on the Pi's SPI0 MOSI (GPIO 10, pin 19) through spi-device, an optional native module loaded only
// here. The ring is reached through a small transport seam so that tests record the bytes instead.

import type { Logger } from 'pino';
import type * as SpiDeviceModule from 'spi-device';
import type { LedRing, Rgb } from './types.js';
import { LedError, checkPixels, createWs2812Encoder } from './ws2812.js';
import type { Ws2812Encoder, Ws2812Options } from './ws2812.js';

export interface SpiTransport {
  transfer(bytes: Uint8Array): Promise<void>;
  transferSync(bytes: Uint8Array): void;
  close(): void;
}

/** spidev's default buffer (module parameter spidev.bufsiz): one transfer may not be longer. */
export const SPIDEV_DEFAULT_BUFSIZ = 4096;

/** Open /dev/spidevBUS.DEV through spi-device (mode 0, MSB first). */
export async function openSpiDevice(bus: number, device: number, speedHz: number): Promise<SpiTransport> {
  let spi: typeof SpiDeviceModule;
  try {
    spi = await import('spi-device');
  } catch (e) {
    throw new LedError(
      'DRIVER_MISSING',
      `the optional module spi-device is not installed or not built (${(e as Error).message}): npm install spi-device`,
    );
  }
  const mod = (spi as unknown as { default?: typeof spi }).default ?? spi;
  let dev: ReturnType<typeof mod.openSync>;
  try {
    dev = mod.openSync(bus, device, { mode: 0, maxSpeedHz: speedHz });
  } catch (e) {
    throw new LedError(
      'DEVICE_UNAVAILABLE',
      `cannot open /dev/spidev${bus}.${device} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): enable SPI (dtparam=spi=on) and add the user to the spi group`,
    );
  }
  const message = (bytes: Uint8Array) => [
    { sendBuffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), byteLength: bytes.length, speedHz },
  ];
  return {
    transfer: (bytes) =>
      new Promise((resolve, reject) => {
        dev.transfer(message(bytes), (err) => (err ? reject(err) : resolve()));
      }),
    transferSync: (bytes) => void dev.transferSync(message(bytes)),
    close: () => dev.closeSync(),
  };
}

export interface SpiLedRingOptions extends Ws2812Options {
  readonly count: number;
  readonly log: Logger;
  /** Longest transfer the transport accepts. Default 4096 (spidev's default bufsiz). */
  readonly maxTransferBytes?: number;
}

export class SpiLedRing implements LedRing {
  readonly count: number;
  private readonly encoder: Ws2812Encoder;
  private busy = false;
  private next: Uint8Array | null = null;
  private closed = false;
  /** Frames replaced by a newer one while a transfer was in flight. */
  skipped = 0;
  sent = 0;

  constructor(
    private readonly transport: SpiTransport,
    private readonly opts: SpiLedRingOptions,
  ) {
    if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 1024) {
      throw new LedError('BAD_OPTIONS', `LED count ${opts.count} must be 1..1024`);
    }
    this.count = opts.count;
    this.encoder = createWs2812Encoder(opts);
    const bytes = this.encoder.encode(Array.from({ length: this.count }, () => [0, 0, 0] as const)).length;
    const max = opts.maxTransferBytes ?? SPIDEV_DEFAULT_BUFSIZ;
    if (bytes > max) {
      throw new LedError(
        'TOO_LONG',
        `${this.count} LEDs need ${bytes}-byte transfers, over ${max}: raise spidev.bufsiz in cmdline.txt`,
      );
    }
  }

  /** Encode now (throws LedError on bad pixels) and send; while a transfer runs only the newest frame waits. */
  show(pixels: readonly Rgb[]): void {
    if (this.closed) return;
    checkPixels(pixels, this.count);
    const bytes = this.encoder.encode(pixels);
    if (this.busy) {
      if (this.next) this.skipped++;
      this.next = bytes;
      return;
    }
    this.send(bytes);
  }

  /** Turn every LED off (synchronously) and release the device. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.next = null;
    try {
      this.transport.transferSync(this.encoder.encode(Array.from({ length: this.count }, () => [0, 0, 0] as const)));
    } catch (e) {
      this.opts.log.warn({ err: e }, 'could not blank the LED ring');
    }
    this.transport.close();
  }

  private send(bytes: Uint8Array): void {
    this.busy = true;
    this.transport.transfer(bytes).then(
      () => this.done(),
      (e: unknown) => {
        this.opts.log.error({ err: e }, 'LED transfer failed');
        this.done();
      },
    );
  }

  private done(): void {
    this.sent++;
    this.busy = false;
    const n = this.next;
    this.next = null;
    if (n && !this.closed) this.send(n);
  }
}
