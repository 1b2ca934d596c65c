// The one clock interface of gatecode, injected everywhere (device, hardware drivers, sync server): the time in
// milliseconds and one-shot timers. Production uses the system clocks below; tests drive one manual clock
// (test/support/clock.ts), so timeouts (LED hold, door alarms, relay pulses, debounce, the server's freshness
// refresh) need no sleeping. Pure: this module imports nothing, so every layer may import it.

/** Cancels a timer; calling it after the timer fired, or twice, does nothing. */
export type CancelTimer = () => void;

export interface Clock {
  /** The time, milliseconds: epoch milliseconds for `systemClock`, a monotonic count for `monotonicClock`. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): CancelTimer;
}

function setTimer(ms: number, fn: () => void): CancelTimer {
  const handle = setTimeout(fn, Math.max(0, ms));
  handle.unref?.();
  return () => clearTimeout(handle);
}

/** Wall-clock time (epoch ms): what the device and the server decide and sign with. */
export const systemClock: Clock = { now: () => Date.now(), setTimer };

/** Monotonic time (ms since the process started): for durations that must not jump with NTP (debounce, pulses). */
export const monotonicClock: Clock = { now: () => performance.now(), setTimer };

/** Epoch seconds from a clock. */
export function nowSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/** Run `fn` every `ms` milliseconds on an injected clock until the returned function is called. */
export function every(clock: Clock, ms: number, fn: () => void): CancelTimer {
  let cancel: CancelTimer | null = null;
  let stopped = false;
  const arm = (): void => {
    cancel = clock.setTimer(ms, () => {
      if (stopped) return;
      arm();
      fn();
    });
  };
  arm();
  return () => {
    stopped = true;
    cancel?.();
  };
}
