export type GpioErrorCode =
  /** No gpiochip labelled pinctrl-bcm2835 / pinctrl-bcm2711 / pinctrl-rp1 under the sysfs root. */
  | 'NO_GPIO_CHIP'
  /** A BCM pin number outside the chip, or the same pin used twice. */
  | 'BAD_PIN'
  /** Pulse length, debounce or polarity out of range. */
  | 'BAD_OPTIONS'
  /** The optional module onoff is not installed or not built. */
  | 'DRIVER_MISSING'
  /** The pin could not be exported or opened (permissions: the gpio group). */
  | 'DEVICE_UNAVAILABLE';

export class GpioError extends Error {
  override readonly name = 'GpioError';
  constructor(
    readonly code: GpioErrorCode,
    message: string,
  ) {
    super(message);
  }
}
