// The device config most device and end-to-end tests start from: gate n1 of the kit's SITE on the simulated
// parts (camera, GPIO, LEDs), the decoder in process, data in DIR/data.
import { parseConfig } from '../../device/config.js';
import type { DeviceConfig } from '../../device/config.js';
import { SITE } from './deployment.js';

/** `extra` adds or overrides top-level keys (trust, sync, inputs, gate, ...). */
export function simDeviceConfig(dir: string, extra: Record<string, unknown> = {}): DeviceConfig {
  return parseConfig(
    {
      site: SITE,
      gate: 'n1',
      dataDir: 'data',
      camera: { source: 'sim' },
      hardware: { gpio: 'sim', leds: 'sim' },
      decoder: { worker: false },
      ...extra,
    },
    { baseDir: dir },
  );
}
