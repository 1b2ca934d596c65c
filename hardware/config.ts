// Hardware settings as plain TypeScript, fully resolved: the factory (hardware/factory.ts) has no defaults of its
// own. The device passes toHardwareConfig(config) (device/config/hardware.ts), so every default comes from the
// device config schema (device/config/schema.ts). Code without a device config (tests, bench, demo) passes
// explicit values. The few optional fields are driver tunables the device config does not expose; absent, the
// driver behaves as its own documentation says (e.g. rpicam.ts for strideAlign).
import type { BackoffOptions } from './camera/process-camera.js';
import type { ReplayOptions } from './camera/replay.js';
import type { Focus } from './camera/rpicam.js';
import type { Polarity } from './gpio/types.js';
import type { ColourOrder } from './leds/ws2812.js';

/** 'auto' uses the real part where its device exists (see INSTALL.md) and the simulated twin elsewhere. */
export type PartMode = 'real' | 'sim' | 'auto';

export interface InputConfig {
  /** BCM pin number. */
  readonly pin: number;
  readonly polarity: Polarity;
  readonly debounceMs: number;
}

export interface HardwareConfig {
  readonly camera: {
    /** 'replay' plays image files (see replay). */
    readonly mode: PartMode | 'replay';
    /** Which real camera: Pi camera via rpicam-vid or USB via ffmpeg. Absent: csi when rpicam-vid is found. */
    readonly source?: 'csi' | 'usb';
    readonly width: number;
    readonly height: number;
    readonly framerate: number;
    readonly focus?: Focus; // absent: the driver's DEFAULT_FOCUS
    readonly ev?: number;
    readonly metering?: 'centre' | 'spot' | 'average';
    readonly shutterUs?: number; // none (auto exposure)
    readonly rotate180?: boolean; // false
    readonly cameraIndex?: number; // 0
    readonly strideAlign?: 64 | 128 | 'auto'; // auto: 128 on Pi 5, else 64
    readonly stride?: number;
    /** USB: V4L2 device. Default the first /dev/v4l/by-id/*-video-index0, else /dev/video0. */
    readonly usbDevice?: string;
    readonly usbInputFormat?: 'mjpeg' | 'yuyv422'; // mjpeg
    readonly restart?: BackoffOptions; // 500 ms doubling to 30 s, reset after 10 s of running
    /** Restart a camera process that delivers no frame for this long (ms); 0 = never. Default 10 000. */
    readonly stallMs?: number;
    /** Replay: a folder, image files or frames in memory; fps default 15 (0 = paced by the reader); loop default false. */
    readonly replay?: { readonly source: ReplayOptions['source']; readonly fps?: number; readonly loop?: boolean };
  };
  readonly gpio: {
    readonly mode: PartMode;
    readonly relay: { readonly pin: number; readonly polarity: Polarity };
    /** Door contact; null when not wired. */
    readonly door: InputConfig | null;
    /** Exit (request-to-exit) button; null when not wired. */
    readonly exit: InputConfig | null;
    /** Turnstile rotation sensor; null when not wired. */
    readonly rotation: InputConfig | null;
    /** Fire-alarm release loop (normally closed); null when not wired. */
    readonly fire: InputConfig | null;
    /** Lockdown switch or output; null when not wired. */
    readonly lockdown: InputConfig | null;
    /** Enclosure tamper switch (normally closed); null when not wired. */
    readonly tamper: InputConfig | null;
    /** Put the relay in its safe state on every process exit path (installSafeExit). Only false opts out. */
    readonly safeExit?: boolean;
  };
  readonly leds: {
    readonly mode: PartMode;
    readonly count: number;
    readonly spiBus: number;
    readonly spiDevice: number;
    readonly bitsPerBit: 3 | 4;
    readonly spiHz: number;
    readonly order: ColourOrder;
    readonly brightness: number;
    readonly gamma: number;
    readonly maxCurrentMa: number;
  };
  /** The buzzer; absent or kind 'none': no buzzer. */
  readonly buzzer?: BuzzerHardwareConfig;
}

export interface BuzzerHardwareConfig {
  readonly mode: PartMode;
  readonly kind: 'none' | 'active' | 'pwm';
  /** active: BCM pin of the output, and its polarity. */
  readonly pin?: number;
  readonly polarity: Polarity;
  /** pwm: /sys/class/pwm/pwmchip<pwmChip>, channel <pwmChannel>. */
  readonly pwmChip: number;
  readonly pwmChannel: number;
}
