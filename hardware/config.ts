// Hardware settings as plain TypeScript (the device engineer maps the device config file onto it).
// Every field is optional; the factory (hardware/factory.ts) fills in HARDWARE_DEFAULTS below. The device passes
// values resolved from its config schema (device/config/hardware.ts toHardwareConfig), the one source of defaults.
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
  /** Default per input: door 'active-high', exit and rotation 'active-low'. */
  readonly polarity?: Polarity;
  /** Default gpio.debounceMs. */
  readonly debounceMs?: number;
}

export interface HardwareConfig {
  readonly camera?: {
    /** Default 'auto'. 'replay' plays image files (see replay). */
    readonly mode?: PartMode | 'replay';
    /** Which real camera: Pi camera via rpicam-vid or USB via ffmpeg. Default: csi when rpicam-vid is found. */
    readonly source?: 'csi' | 'usb';
    readonly width?: number; // 640
    readonly height?: number; // 480
    readonly framerate?: number; // 15
    readonly focus?: Focus; // manual, lens position 3 dioptres (DEFAULT_FOCUS)
    readonly ev?: number; // -1
    readonly metering?: 'centre' | 'spot' | 'average'; // centre
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
  readonly gpio?: {
    readonly mode?: PartMode; // auto
    readonly relay?: { readonly pin?: number; readonly polarity?: Polarity }; // BCM 17, active-high
    /** Door contact; off unless configured (recommended BCM 27). null turns an input off. */
    readonly door?: InputConfig | null;
    /** Exit (request-to-exit) button. Default BCM 22, active-low. */
    readonly exit?: InputConfig | null;
    /** Turnstile rotation sensor; off unless configured (recommended BCM 23). */
    readonly rotation?: InputConfig | null;
    /** Fire-alarm release loop (normally closed); off unless configured (recommended BCM 24). */
    readonly fire?: InputConfig | null;
    /** Lockdown switch or output; off unless configured (recommended BCM 25). */
    readonly lockdown?: InputConfig | null;
    readonly debounceMs?: number; // 40
    /** Put the relay in its safe state on every process exit path (installSafeExit). Default true. */
    readonly safeExit?: boolean;
  };
  readonly leds?: {
    readonly mode?: PartMode; // auto
    readonly count?: number; // 12
    readonly spiBus?: number; // 0
    readonly spiDevice?: number; // 0
    readonly bitsPerBit?: 3 | 4; // 3 (2.4 MHz)
    readonly spiHz?: number; // 2.4 MHz for 3 bits, 3.2 MHz for 4
    readonly order?: ColourOrder; // GRB
    readonly brightness?: number; // 0.3
    readonly gamma?: number; // 2.2
    readonly maxCurrentMa?: number; // 500
  };
}

export const HARDWARE_DEFAULTS = {
  camera: { mode: 'auto', width: 640, height: 480, framerate: 15 },
  gpio: {
    mode: 'auto',
    relay: { pin: 17, polarity: 'active-high' },
    exit: { pin: 22, polarity: 'active-low' },
    debounceMs: 40,
    inputPolarity: { door: 'active-high', exit: 'active-low', rotation: 'active-low', fire: 'active-high', lockdown: 'active-low' },
  },
  leds: {
    mode: 'auto',
    count: 12,
    spiBus: 0,
    spiDevice: 0,
    bitsPerBit: 3,
    order: 'GRB',
    brightness: 0.3,
    gamma: 2.2,
    maxCurrentMa: 500,
  },
} as const;
