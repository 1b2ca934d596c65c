// The parts a device runtime drives (made by device/boot.ts, or by a test), and how they are closed when no
// runtime took them over: relay safe first.
import type { CameraSource } from '../hardware/camera/types.js';
import type { GpioPorts } from '../hardware/gpio/types.js';
import type { LedRing } from '../hardware/leds/types.js';
import type { Buzzer } from '../hardware/buzzer/types.js';
import type { Logger } from './log.js';
import type { PipelineDecoder } from './pipeline.js';
import type { StatusHub } from './status/hub.js';
import type { DeviceStore } from './store/types.js';
import type { TrustKeeper } from './trust/keeper.js';

/** The parts the runtime drives; made by device/boot.ts, or by a test. */
export interface RuntimeParts {
  readonly store: DeviceStore;
  /**
   * The one writer of trust data over `store` (the sync client shares it); by default the runtime makes its own
   * from `opts.trust`.
   */
  readonly trust?: TrustKeeper;
  readonly camera: CameraSource;
  readonly gpio: GpioPorts;
  readonly ring: LedRing;
  /** The buzzer (config `buzzer.kind` active or pwm); absent: none. */
  readonly buzzer?: Buzzer | null;
  readonly decoder: PipelineDecoder & { close(): Promise<void> };
  readonly hub: StatusHub | null;
  /** Called once everything else stopped (status server, …). */
  readonly closeExtras?: () => Promise<void>;
}

/** Close parts that no runtime took over (a constructor failure): relay safe first. */
export async function closeParts(parts: RuntimeParts, log: Logger): Promise<void> {
  const steps: (() => unknown)[] = [
    () => parts.gpio.relay.safe(),
    () => parts.camera.close(),
    () => parts.decoder.close(),
    () => parts.closeExtras?.(),
    () => parts.gpio.close(),
    () => parts.ring.close(),
    () => parts.buzzer?.close(),
    () => parts.store.close(),
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      log.error({ err: (err as Error).message }, 'error while closing after a failed start');
    }
  }
}
