// The LED state machine. It holds three layers — a base state (boot, idle, stale data, clock fault, sunset),
// a door alarm, and a transient verdict shown for a set time — and draws the topmost on its own timer. Callers
// only change state (constant time, no I/O), so the pipeline never waits on the ring.
import type { LedRing, Rgb } from '../../hardware/leds/types.js';
import type { CancelTimer, Clock } from '../../common/clock.js';
import { every } from '../../common/clock.js';
import type { DecisionPattern } from '../decide.js';
import type { Logger } from '../log.js';
import { capBrightness, isAnimated, renderPattern } from './patterns.js';
import type { LedPattern } from './patterns.js';

export type LedBase = 'boot' | 'idle' | 'offline' | 'stale' | 'fault' | 'sunset';

export interface LedOptions {
  /** Brightness cap, 0..1, applied to every pattern. */
  readonly brightness: number;
  /** How long each verdict pattern stays on before the ring returns to its base state, ms. */
  readonly showMs: Readonly<Record<DecisionPattern, number>>;
  /** Animation tick, ms. */
  readonly frameMs: number;
}

export const DEFAULT_LED_OPTIONS: LedOptions = {
  brightness: 0.3,
  showMs: { green: 1500, attention: 3000, yellow: 3000, red: 2500, fault: 3000, sunset: 3000 },
  frameMs: 50,
};

export interface LedState {
  readonly pattern: LedPattern;
  readonly pixels: readonly Rgb[];
}

export class LedController {
  private base: LedBase = 'boot';
  private alarm = false;
  private fire = false;
  private transient: { pattern: DecisionPattern; until: number } | null = null;
  private shown: LedPattern | null = null;
  private startedAt = 0;
  private lastPixels: Rgb[] = [];
  private reported: LedPattern | null = null;
  private stopTick: CancelTimer | null = null;
  private cancelKick: CancelTimer | null = null;

  constructor(
    private readonly ring: LedRing,
    private readonly clock: Clock,
    private readonly opts: LedOptions,
    private readonly log: Logger,
    private readonly onChange: (state: LedState) => void = () => {},
  ) {}

  /** Start drawing: the boot pattern until `setBase` says otherwise. */
  start(): void {
    if (this.stopTick) return;
    this.stopTick = every(this.clock, this.opts.frameMs, () => this.render());
    this.render();
  }

  setBase(base: LedBase): void {
    if (this.base === base) return;
    this.base = base;
    this.kick();
  }

  get baseState(): LedBase {
    return this.base;
  }

  setDoorAlarm(on: boolean): void {
    if (this.alarm === on) return;
    this.alarm = on;
    this.kick();
  }

  /** Fire release: drawn over everything else, verdicts included, for as long as it lasts. */
  setFireRelease(on: boolean): void {
    if (this.fire === on) return;
    this.fire = on;
    this.kick();
  }

  /** Show a verdict for its configured time, then fall back to the alarm or the base state. */
  showDecision(pattern: DecisionPattern): void {
    this.transient = { pattern, until: this.clock.now() + this.opts.showMs[pattern] };
    this.shown = null; // restart the pattern even if the same verdict is on
    this.kick();
  }

  /** The pattern that should be on now. */
  pattern(): LedPattern {
    if (this.fire) return 'fire-release';
    if (this.transient !== null && this.clock.now() < this.transient.until) return this.transient.pattern;
    if (this.alarm) return 'door-alarm';
    return this.base;
  }

  current(): LedState {
    return { pattern: this.shown ?? this.pattern(), pixels: this.lastPixels };
  }

  /** Turn the ring off and stop drawing. */
  stop(): void {
    this.stopTick?.();
    this.stopTick = null;
    this.cancelKick?.();
    this.cancelKick = null;
    this.draw('off', 0);
  }

  /** Redraw soon (on the clock's next turn), never inside the caller's call. */
  private kick(): void {
    if (!this.stopTick || this.cancelKick) return;
    this.cancelKick = this.clock.setTimer(0, () => {
      this.cancelKick = null;
      this.render();
    });
  }

  private render(): void {
    const now = this.clock.now();
    if (this.transient !== null && now >= this.transient.until) this.transient = null;
    const pattern = this.pattern();
    if (pattern !== this.shown || now < this.startedAt) {
      this.shown = pattern;
      this.startedAt = now;
    } else if (!isAnimated(pattern)) {
      return;
    }
    this.draw(pattern, now - this.startedAt);
  }

  private draw(pattern: LedPattern, t: number): void {
    const pixels = capBrightness(renderPattern(pattern, t, this.ring.count), this.opts.brightness);
    if (!samePixels(pixels, this.lastPixels)) {
      this.lastPixels = pixels;
      try {
        this.ring.show(pixels);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'LED ring write failed');
      }
    }
    if (pattern !== this.reported) {
      this.reported = pattern;
      this.onChange({ pattern, pixels });
    }
  }
}

function samePixels(a: readonly Rgb[], b: readonly Rgb[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as Rgb;
    const q = b[i] as Rgb;
    if (p[0] !== q[0] || p[1] !== q[1] || p[2] !== q[2]) return false;
  }
  return true;
}
