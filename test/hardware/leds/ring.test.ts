import { describe, expect, it } from 'vitest';
import { SimLedRing } from '../../../hardware/leds/sim.js';
import { SpiLedRing, openSpiDevice } from '../../../hardware/leds/spi-ring.js';
import type { SpiTransport } from '../../../hardware/leds/spi-ring.js';
import { createWs2812Encoder } from '../../../hardware/leds/ws2812.js';
import type { Rgb } from '../../../hardware/leds/types.js';
import { captureLog } from '../../support/log.js';

/** A transport that records what would go to /dev/spidev0.0; transfers finish when the test says so. */
function recordingTransport() {
  const sent: Uint8Array[] = [];
  const sync: Uint8Array[] = [];
  const pending: (() => void)[] = [];
  let closed = false;
  const t: SpiTransport = {
    transfer: (b) => {
      sent.push(b);
      return new Promise<void>((r) => pending.push(r));
    },
    transferSync: (b) => void sync.push(b),
    close: () => void (closed = true),
  };
  return { t, sent, sync, finish: () => pending.shift()?.(), closed: () => closed };
}
const fill = (n: number, p: Rgb): Rgb[] => Array.from({ length: n }, () => p);
const tick = () => new Promise((r) => setImmediate(r));

describe('SpiLedRing', () => {
  it('sends the encoded frame, keeps only the newest while busy, and blanks the ring on close', async () => {
    const rec = recordingTransport();
    const ring = new SpiLedRing(rec.t, { count: 12, log: captureLog().log, brightness: 0.5 });
    const enc = createWs2812Encoder({ brightness: 0.5 });
    ring.show(fill(12, [0, 255, 0]));
    ring.show(fill(12, [255, 0, 0])); // waits
    ring.show(fill(12, [0, 0, 255])); // replaces the waiting one
    expect(rec.sent).toHaveLength(1);
    expect(rec.sent[0]).toEqual(enc.encode(fill(12, [0, 255, 0])));
    rec.finish();
    await tick();
    expect(rec.sent).toHaveLength(2);
    expect(rec.sent[1]).toEqual(enc.encode(fill(12, [0, 0, 255])));
    expect(ring.skipped).toBe(1);
    ring.close();
    expect(rec.sync).toEqual([enc.encode(fill(12, [0, 0, 0]))]);
    expect(rec.closed()).toBe(true);
    ring.show(fill(12, [1, 1, 1]));
    expect(rec.sent).toHaveLength(2);
  });

  it('refuses the wrong pixel count and a ring too long for one spidev transfer', () => {
    const rec = recordingTransport();
    const ring = new SpiLedRing(rec.t, { count: 12, log: captureLog().log });
    expect(() => ring.show(fill(11, [0, 0, 0]))).toThrow(expect.objectContaining({ code: 'BAD_PIXELS' }));
    expect(() => new SpiLedRing(rec.t, { count: 500, log: captureLog().log })).toThrow(
      expect.objectContaining({ code: 'TOO_LONG' }),
    );
  });

  it('gives DEVICE_UNAVAILABLE when /dev/spidev0.0 cannot be opened', async () => {
    // spi-device is built on this machine, but there is no SPI bus here
    await expect(openSpiDevice(0, 0, 2_400_000)).rejects.toMatchObject({
      name: 'LedError',
      code: 'DEVICE_UNAVAILABLE',
    });
  });
});

describe('SimLedRing', () => {
  it('records frames with times and renders coloured blocks', () => {
    let t = 0;
    const ring = new SimLedRing(4, { now: () => (t += 10) });
    ring.show([
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 0],
      [0, 0, 255],
    ]);
    expect(ring.frames).toEqual([
      {
        at: 10,
        pixels: [
          [255, 0, 0],
          [0, 255, 0],
          [0, 0, 0],
          [0, 0, 255],
        ],
      },
    ]);
    const line = ring.renderAnsi();
    expect(line).toBe(
      '\x1b[48;2;255;0;0m  \x1b[0m\x1b[48;2;0;255;0m  \x1b[0m\x1b[48;2;40;40;40m  \x1b[0m\x1b[48;2;0;0;255m  \x1b[0m',
    );
    expect(() => ring.show([[0, 0, 0]])).toThrow(expect.objectContaining({ code: 'BAD_PIXELS' }));
    ring.close();
    expect(ring.current).toEqual(fill(4, [0, 0, 0]));
  });

  it('draws a 12-LED ring on a circle with every LED visible', () => {
    const ring = new SimLedRing(12);
    ring.show(Array.from({ length: 12 }, (_, i) => [i * 20 + 10, 0, 0] as const));
    const art = ring.renderAnsi({ layout: 'ring' });
    for (let i = 0; i < 12; i++) expect(art).toContain(`\x1b[48;2;${i * 20 + 10};0;0m`);
    expect(art.split('\n')).toHaveLength(7);
  });
});
