// `gatecode device blank --config FILE`: turn every LED of the ring off over SPI, without the daemon. The unit's
// ExecStopPost runs it after every end of the device (also SIGKILL and watchdog kills), so a ring never keeps its
// last pattern — possibly green — while no device is deciding.
import fs from 'node:fs';
import { parseOptions, UsageError } from './usage.js';

const USAGE = `usage: gatecode device blank --config FILE [--dev DIR]

Write one all-off frame to the LED ring of the device config FILE (leds.spiDevice, leds.count) and exit.
Nothing to do (exit 0) when the config simulates the ring or, with hardware.leds: auto, the SPI device is absent.
--dev DIR   where the spidev nodes are (default /dev; for tests).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { config: { type: 'string' }, dev: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.config === undefined) throw new UsageError('--config FILE is required');
  const { loadConfig, toHardwareConfig } = await import('../device/config.js');
  // A ConfigError goes on to main and exits 2 (exitCodeFor).
  const config = loadConfig(values.config);
  const leds = toHardwareConfig(config).leds;
  const bus = leds.spiBus;
  const dev = leds.spiDevice;
  const node = `${values.dev ?? '/dev'}/spidev${bus}.${dev}`;
  if (config.hardware.leds === 'sim' || (config.hardware.leds === 'auto' && !fs.existsSync(node))) {
    process.stderr.write(`gatecode device blank: no LED ring to blank (${node} absent or simulated)\n`);
    return 0;
  }
  const { openSpiDevice, SpiLedRing } = await import('../hardware/leds/spi-ring.js');
  const { createLogger } = await import('../device/log.js');
  const speedHz = leds.spiHz;
  const transport = await openSpiDevice(bus, dev, speedHz);
  const ring = new SpiLedRing(transport, {
    count: config.leds.count,
    bitsPerBit: leds.bitsPerBit,
    spiHz: speedHz,
    order: config.leds.order,
    log: createLogger({ level: 'warn' }),
  });
  ring.close(); // close() sends the all-off frame synchronously
  return 0;
}
