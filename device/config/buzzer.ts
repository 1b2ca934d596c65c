// The `buzzer` section of the device config: which buzzer (none, an active buzzer on a GPIO output, a piezo on
// a hardware PWM channel), its volume and the quiet hours. Kept apart from schema.ts; schema.ts mounts it.
import { z } from 'zod';
import { parseQuietHours } from '../../hardware/buzzer/pattern.js';
import { isTimeZone } from '../../protocol/index.js';

export const buzzerSchema = z
  .strictObject({
    /** none: no buzzer; active: a buzzer that sounds when its GPIO output is on; pwm: a piezo on a PWM channel. */
    kind: z.enum(['none', 'active', 'pwm']).default('none'),
    /** active: the BCM pin of its output (through a transistor: see hardware/INSTALL.md, Buzzer). */
    pin: z.number().int().min(0).max(27).optional(),
    polarity: z.enum(['active-high', 'active-low']).default('active-high'),
    /** pwm: /sys/class/pwm/pwmchip<chip>, channel <channel> (from the PWM overlay). */
    pwm: z
      .strictObject({
        chip: z.number().int().min(0).max(63).default(0),
        channel: z.number().int().min(0).max(15).default(0),
      })
      .prefault({}),
    /** pwm: 1–100 (the duty cycle; 100 is loudest). An active buzzer has one volume. */
    volume: z.number().int().min(1).max(100).default(50),
    /** "HH:MM-HH:MM" (may run past midnight): verdicts are silent then; alarms and the fire release still sound. */
    quietHours: z
      .string()
      .refine((t) => parseQuietHours(t) !== null, 'expected HH:MM-HH:MM with two different times, e.g. 22:00-07:00')
      .optional(),
    /** IANA zone of the quiet hours; absent: the bundle's opening-hours zone, else the system's. */
    timeZone: z.string().refine(isTimeZone, 'expected an IANA time zone such as Europe/Berlin').optional(),
  })
  .superRefine((b, ctx) => {
    if (b.kind === 'active' && b.pin === undefined)
      ctx.addIssue({ code: 'custom', path: ['pin'], message: 'required when kind is active' });
  });

export type BuzzerConfig = z.infer<typeof buzzerSchema>;
