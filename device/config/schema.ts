// The device config file's schema: one zod schema gives the runtime check, the defaults and the TypeScript type.
// Every object is strict (unknown keys are errors). The defaults here are the ones docs/device-config.md lists.
import { z } from 'zod';
import { PASS_NAMES } from '../decode/types.js';
import type { PassName } from '../decode/types.js';
import { syncOptionsSchema } from '../sync/options.js';
import { mqttOptionsSchema } from '../mqtt/options.js';
import { buzzerSchema } from './buzzer.js';

/** Site, gate and zone names: what pass scopes and anti-passback rows are keyed on. */
const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/,
    'expected 1–64 characters of letters, digits, _ . : - (starting with a letter or digit)',
  );
/** BCM GPIO numbers on the 40-pin header. */
const bcmPin = z.number().int().min(2).max(27);
/** SPI0 on the header: CE1, CE0, MISO, MOSI, SCLK. */
const SPI0_PINS: readonly number[] = [7, 8, 9, 10, 11];
const polarity = z.enum(['active-high', 'active-low']);
const seconds = (max: number) => z.number().int().min(1).max(max);
const path = z.string().min(1);

/**
 * Local policy: only ever stricter than the bundle's (open < attention < deny). `open` is therefore not accepted:
 * it could never tighten anything. Red is always deny.
 */
const localAction = z.enum(['attention', 'deny']);
const policy = z.strictObject({
  green: localAction.optional(),
  yellow: localAction.optional(),
  /** The stricter (smaller) of this and the bundle's maximum offline age applies. */
  maxOfflineAgeSeconds: z.number().int().min(60).optional(),
});

const relay = z.strictObject({
  pin: bcmPin.default(17),
  polarity: polarity.default('active-high'),
  /** pulse: energise for pulseMs (turnstiles, motor locks); hold: keep the strike released until the door closes. */
  mode: z.enum(['pulse', 'hold']).default('pulse'),
  pulseMs: z.number().int().min(50).max(10_000).default(800),
  /** Hold mode: release the strike after this long if the door never opened. */
  holdMs: z.number().int().min(500).max(120_000).default(8000),
});

const input = (defaultPolarity: 'active-high' | 'active-low', defaultPull: 'up' | 'down' | 'none') =>
  z.strictObject({
    pin: bcmPin,
    polarity: polarity.default(defaultPolarity),
    /** Pull resistor, set at boot by a `gpio=` line in config.txt (see bootConfigLines). */
    pull: z.enum(['up', 'down', 'none']).default(defaultPull),
    debounceMs: z.number().int().min(30).max(50).default(40),
  });

const inputs = z.strictObject({
  /** Door contact (reed switch): active when the door is open. Absent: not wired. */
  door: input('active-high', 'up').optional(),
  /** Request-to-exit button to ground. Absent: not wired. */
  exit: input('active-low', 'up').optional(),
  /** Turnstile rotation sensor. Absent: not wired (no passage check). */
  rotation: input('active-low', 'up').optional(),
  /**
   * Fire-alarm release: a normally-closed loop from the alarm panel's relay to ground, pulled up, so a closed loop
   * reads low and an alarm or a cut wire reads high (active). While active the gate stays in free passage.
   * Absent: not wired.
   */
  fire: input('active-high', 'up').optional(),
  /** Lockdown key switch or the building's lockdown output, closing to ground while locked down. Absent: not wired. */
  lockdown: input('active-low', 'up').optional(),
  /**
   * Enclosure tamper switch (lid or door of the housing): a normally-closed loop to ground, pulled up, so a closed
   * lid reads low and an opened lid or a cut wire reads high (active). While active the gate raises `tamper`; its
   * decisions do not change. Absent: not wired.
   */
  tamper: input('active-high', 'up').optional(),
});

const lockdown = z.strictObject({
  /** Scope entries (in a pass's scope list) that still open during a lockdown; empty: nothing opens. */
  scope: z.array(name).default([]),
});

const door = z.strictObject({
  heldOpenSeconds: seconds(3600).default(30),
  forcedOpenAlarm: z.boolean().default(true),
  /** After a grant or the exit button the door may open within this time without a forced-open alarm. */
  grantWindowSeconds: seconds(300).default(10),
});

const turnstile = z.strictObject({
  /** No rotation within this time after a grant annuls the grant. */
  passageTimeoutSeconds: seconds(300).default(8),
});

const antiPassback = z.strictObject({
  enabled: z.boolean().default(true),
  windowSeconds: seconds(7 * 86_400).default(3600),
});

const showMs = z.number().int().min(200).max(60_000);
const leds = z.strictObject({
  count: z.number().int().min(1).max(300).default(12),
  /** Cap on every channel, 0..1 (a WS2812 draws up to 60 mA at full white). */
  brightness: z.number().min(0).max(1).default(0.3),
  order: z.enum(['GRB', 'RGB', 'BRG', 'BGR', 'RBG', 'GBR']).default('GRB'),
  /** Gamma applied before brightness, 1–4 (2.2 looks even to the eye). */
  gamma: z.number().min(1).max(4).default(2.2),
  /** Current budget of the whole ring, mA: frames that would draw more are scaled down (size it to the supply). */
  maxCurrentMa: z.number().int().min(50).max(20_000).default(500),
  spiDevice: z
    .string()
    .regex(/^\/dev\/spidev\d+\.\d+$/, 'expected /dev/spidevB.D')
    .default('/dev/spidev0.0'),
  /** 2.4 MHz: 3 SPI bits per data bit; 3.2 MHz: 4. */
  speedHz: z.union([z.literal(2_400_000), z.literal(3_200_000)]).default(2_400_000),
  /** How long each verdict pattern stays on before the ring returns to idle. */
  showMs: z
    .strictObject({
      green: showMs.default(1500),
      attention: showMs.default(3000),
      yellow: showMs.default(3000),
      red: showMs.default(2500),
      fault: showMs.default(3000),
      sunset: showMs.default(3000),
    })
    .prefault({}),
});

const focus = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('continuous-macro') }),
  z.strictObject({ mode: z.literal('continuous') }),
  z.strictObject({ mode: z.literal('manual'), lensPosition: z.number().min(0).max(32) }),
  z.strictObject({ mode: z.literal('default') }),
]);

const camera = z.strictObject({
  /** auto: the Pi camera where rpicam-vid (or libcamera-vid) is installed, else the simulated camera. */
  source: z.enum(['auto', 'rpicam', 'usb', 'replay', 'sim']).default('auto'),
  width: z.number().int().min(160).max(4056).default(640),
  height: z.number().int().min(120).max(3040).default(480),
  framerate: z.number().min(1).max(120).default(15),
  /** Default: the lens fixed at 3 dioptres (33 cm), sharp for a phone at about 23–75 cm (see DEFAULT_FOCUS). */
  focus: focus.prefault({ mode: 'manual', lensPosition: 3 }),
  /** Exposure compensation in stops; phone screens read better slightly darker. */
  ev: z.number().min(-10).max(10).default(-1),
  metering: z.enum(['centre', 'spot', 'average']).default('centre'),
  /**
   * Luma row stride of rpicam-vid's yuv420 frames, bytes. Absent: what rpicam-vid reports, else the width rounded
   * up to the board's alignment (64; 128 on a Pi 5). The stream is checked against it at start.
   */
  stride: z.number().int().min(160).max(16_384).multipleOf(2).optional(),
  /** Fixed shutter time, µs. Absent: automatic exposure. */
  shutterUs: z.number().int().min(100).max(1_000_000).optional(),
  usb: z
    .strictObject({
      /** V4L2 device; prefer a stable /dev/v4l/by-id/… path. Absent: the first such device, else /dev/video0. */
      device: path.optional(),
    })
    .prefault({}),
  replay: z
    .strictObject({
      /** Image files, or one folder of images, played as camera frames. */
      files: z.array(path).min(1).optional(),
      fps: z.number().min(0.1).max(120).default(15),
      loop: z.boolean().default(true),
    })
    .prefault({}),
});

const decoder = z.strictObject({
  engine: z.enum(['zxing', 'jsqr']).default('zxing'),
  /** Decode passes in order; absent: the decoder's default ladder. */
  strategies: z
    .array(z.enum(PASS_NAMES as [PassName, ...PassName[]]))
    .min(1)
    .optional(),
  worker: z.boolean().default(true),
  /** Decode worker threads (with `worker`); absent: one per core (os.availableParallelism(), at most 8). */
  workers: z.number().int().min(1).max(64).optional(),
  budgetMs: z.number().int().min(1).max(2000).optional(),
  /** Whole-frame escalation at most once in this many frames while no code is in view; absent: the decoder's default. */
  escalateEvery: z.number().int().min(1).max(120).optional(),
});

const partMode = z.enum(['auto', 'real', 'sim']);
const hardware = z.strictObject({
  gpio: partMode.default('auto'),
  leds: partMode.default('auto'),
  buzzer: partMode.default('auto'),
  /** Battery-backed clock: a DS3231 on I2C (setup enables its overlay), the Pi 5's own RTC, or none. */
  rtc: z.enum(['none', 'ds3231', 'builtin']).default('none'),
});

const presence = z.strictObject({
  /** Frames in a row without the code after which it has left the view. */
  leaveFrames: z.number().int().min(1).max(300).default(8),
  /** A code still in view is decided again after this long. */
  holdOffSeconds: seconds(3600).default(10),
});

const statusPage = z.strictObject({
  enabled: z.boolean().default(false),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65_535).default(8080),
  /** File holding the local token that unlocks the relay test button. Absent: the button is disabled. */
  tokenFile: path.optional(),
});

const trust = z.strictObject({
  /** Deployment root public key (base64url) for offline use; an enrolled device uses the key pinned at enrolment. */
  rootPublicKey: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'expected a 32-byte key in base64url')
    .optional(),
  /** Signed trust bundle file, read at start when no newer bundle is held. */
  bundleFile: path.optional(),
  /** Signed revocation list file (snapshot or delta). */
  revocationsFile: path.optional(),
});

/**
 * The config format's version. 1 is the format without a `version` key (gatecode 0.1); device/config/load.ts
 * migrates older versions to this one before the schema sees them.
 */
export const CONFIG_VERSION = 2;

export const deviceConfigSchema = z
  .strictObject({
    /** The config format (see CONFIG_VERSION); a file without it is version 1 and is migrated on load. */
    version: z.literal(CONFIG_VERSION),
    site: name,
    gate: name,
    /** Anti-passback zone; default: the site. */
    zone: name.optional(),
    direction: z.enum(['entry', 'exit', 'both']).default('entry'),
    policy: policy.prefault({}),
    /** Clock skew tolerated for pass times and the clock floor. */
    clockSkewSeconds: z.number().int().min(0).max(3600).default(300),
    /**
     * check: trust the clock only when NTP-synchronised, kept by a configured RTC, or confirmed by a recent signed
     * server time, else greens show yellow (CLOCK_UNTRUSTED). host: the host keeps the time (a container or a
     * development machine without systemd); never on a gate.
     */
    clockTrust: z.enum(['check', 'host']).default('check'),
    /** Holder-bound passes: how far a wallet proof's time step may be from this gate's clock. */
    holderProofWindowSeconds: z.number().int().min(5).max(600).default(30),
    relay: relay.prefault({}),
    inputs: inputs.prefault({}),
    door: door.prefault({}),
    lockdown: lockdown.prefault({}),
    turnstile: turnstile.prefault({}),
    antiPassback: antiPassback.prefault({}),
    leds: leds.prefault({}),
    buzzer: buzzerSchema.prefault({}),
    camera: camera.prefault({}),
    decoder: decoder.prefault({}),
    hardware: hardware.prefault({}),
    presence: presence.prefault({}),
    dataDir: path.default('/var/lib/gatecode'),
    /** Privacy window: events and pass hashes are kept this long, then only counters remain. */
    retentionHours: z.number().min(1).max(168).default(24),
    statusPage: statusPage.prefault({}),
    sync: syncOptionsSchema.prefault({}),
    trust: trust.prefault({}),
    /** State and Home Assistant discovery to an MQTT broker (device/mqtt/). Absent: nothing is published. */
    mqtt: mqttOptionsSchema.optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.camera.source === 'replay' && c.camera.replay.files === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['camera', 'replay', 'files'],
        message: 'required when camera.source is replay',
      });
    }
    if (c.camera.stride !== undefined && c.camera.stride < c.camera.width) {
      ctx.addIssue({
        code: 'custom',
        path: ['camera', 'stride'],
        message: `must be at least camera.width (${c.camera.width})`,
      });
    }
    if (c.antiPassback.enabled && c.antiPassback.windowSeconds > c.retentionHours * 3600) {
      ctx.addIssue({
        code: 'custom',
        path: ['antiPassback', 'windowSeconds'],
        message: 'must not be longer than the retention window (retentionHours)',
      });
    }
    const pins = new Map<number, string>([[c.relay.pin, 'relay.pin']]);
    for (const key of ['door', 'exit', 'rotation', 'fire', 'lockdown', 'tamper'] as const) {
      const pin = c.inputs[key]?.pin;
      if (pin === undefined) continue;
      const other = pins.get(pin);
      if (other !== undefined)
        ctx.addIssue({ code: 'custom', path: ['inputs', key, 'pin'], message: `BCM ${pin} is already ${other}` });
      pins.set(pin, `inputs.${key}.pin`);
      // SPI0 (CE1 7, CE0 8, MISO 9, MOSI 10, SCLK 11) is on for the LED ring: an input there reads the bus.
      if (SPI0_PINS.includes(pin)) {
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', key, 'pin'],
          message: `BCM ${pin} is an SPI0 pin (7–11, on for the LED ring): use another pin`,
        });
      }
    }
    const buzzerPin = c.buzzer.kind === 'active' ? c.buzzer.pin : undefined;
    if (buzzerPin !== undefined && (pins.has(buzzerPin) || SPI0_PINS.includes(buzzerPin))) {
      const other = pins.get(buzzerPin) ?? 'an SPI0 pin (7–11, on for the LED ring)';
      ctx.addIssue({ code: 'custom', path: ['buzzer', 'pin'], message: `BCM ${buzzerPin} is already ${other}` });
    }
    if (c.relay.polarity === 'active-high' && c.relay.pin <= 8) {
      ctx.addIssue({
        code: 'custom',
        path: ['relay', 'pin'],
        message:
          'BCM 0–8 are pulled up at power-on and would energise an active-high relay while the Pi boots: use BCM 12 or above (e.g. 17)',
      });
    }
    if (SPI0_PINS.includes(c.relay.pin)) {
      ctx.addIssue({
        code: 'custom',
        path: ['relay', 'pin'],
        message: `BCM ${c.relay.pin} is an SPI0 pin (7–11, on for the LED ring): use another pin`,
      });
    }
  })
  // The anti-passback zone defaults to the site.
  .transform((c) => ({ ...c, zone: c.zone ?? c.site }));

/** The config after defaults: what the device runs with. */
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
/** The config as written in the file: every key with a default may be left out, and `version` (a version 1 file). */
export type DeviceConfigInput = Omit<z.input<typeof deviceConfigSchema>, 'version'> & { readonly version?: number };
