// The hardware layer's public surface: contracts, the factory, the simulated twins and the helpers the device
// process needs (safe exit, systemd notify). Nothing here knows about passes.
export type { CameraSource, CameraStats, GreyFrame } from './camera/types.js';
export type { DigitalInput, GpioPorts, InputEvent, InputName, Polarity, RelayOutput } from './gpio/types.js';
export type { LedRing, Rgb } from './leds/types.js';
export type { HardwareConfig, InputConfig, PartMode } from './config.js';
export { createHardware } from './factory.js';
export type { Hardware, HardwareDeps, SimControls } from './factory.js';
export type { CancelTimer, Clock } from '../common/clock.js';
export { monotonicClock } from '../common/clock.js';
export { CameraError } from './camera/errors.js';
export type { CameraErrorCode } from './camera/errors.js';
export { ProcessCamera } from './camera/process-camera.js';
export type { ProcessCameraStats } from './camera/process-camera.js';
export { ReplayCamera } from './camera/replay.js';
export type { ReplayOptions } from './camera/replay.js';
export { SimCamera } from './camera/sim/camera.js';
export { GpioError } from './gpio/errors.js';
export type { GpioErrorCode } from './gpio/errors.js';
export { SimGpio } from './gpio/sim.js';
export { installSafeExit } from './gpio/safe-exit.js';
export { LedError, createWs2812Encoder } from './leds/ws2812.js';
export { SimLedRing } from './leds/sim.js';
export { createNotifier, startWatchdog, watchdogIntervalMs } from './systemd/notify.js';
export type { Notifier } from './systemd/notify.js';
