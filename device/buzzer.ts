// The gate's buzzer: a short pattern for each verdict and each alarm (hardware/buzzer/pattern.ts), played on
// the injected clock's timers. It stands beside the decision path: the runtime calls it after the relay and
// the LEDs have been driven, a driver failure is logged and never thrown, and nothing waits for a pattern.
// Quiet hours silence the verdict patterns; alarms and the fire release always sound.
import type { CancelTimer, Clock } from '../common/clock.js';
import { PATTERNS, inQuietRange, timeline } from '../hardware/buzzer/pattern.js';
import type { BuzzerPatternName, QuietRange } from '../hardware/buzzer/pattern.js';
import type { Buzzer } from '../hardware/buzzer/types.js';
import { localTime } from '../protocol/index.js';
import type { DecisionPattern } from './decide.js';
import type { Logger } from './log.js';

export interface BuzzerOptions {
  /** 1–100; a PWM piezo's duty cycle, ignored by an active buzzer. */
  readonly volume: number;
  /** Local time range during which verdicts are silent (alarms still sound); null: none. */
  readonly quietHours: QuietRange | null;
  /** IANA zone for the quiet hours; null: the bundle's opening-hours zone, else the system's. */
  readonly timeZone: string | null;
}

/** Which verdict pattern sounds for an LED decision pattern. */
export const VERDICT_SOUND: Readonly<Record<DecisionPattern, BuzzerPatternName>> = {
  green: 'green',
  attention: 'attention',
  yellow: 'attention', // "see staff": call someone over
  red: 'red',
  fault: 'red',
  sunset: 'red',
};

/** A pattern already playing is not cut short by a less urgent one. */
const PRIORITY: Readonly<Record<BuzzerPatternName, number>> = { green: 0, attention: 0, red: 0, alarm: 1, fire: 2 };

export class BuzzerController {
  private timers: CancelTimer[] = [];
  private playing: BuzzerPatternName | null = null;
  private failed = false;
  /** What was played or left silent, for the status page and tests. */
  readonly counts = { played: 0, quiet: 0 };

  constructor(
    private readonly buzzer: Buzzer,
    private readonly clock: Clock,
    private readonly opts: BuzzerOptions,
    private readonly log: Logger,
    /** The bundle's opening-hours zone, when there is one (the default zone of the quiet hours). */
    private readonly siteZone: () => string | null = () => null,
  ) {}

  /** The sound for a verdict (silent during quiet hours). */
  verdict(pattern: DecisionPattern): void {
    const name = VERDICT_SOUND[pattern];
    if (this.isQuiet()) {
      this.counts.quiet++;
      return;
    }
    this.play(name);
  }

  /** The sound for an alarm that has just begun: the fire release has its own, every other alarm shares one. */
  alarm(alarm: string): void {
    this.play(alarm === 'fire-release' ? 'fire' : 'alarm');
  }

  /** Whether the quiet hours hold now. */
  isQuiet(): boolean {
    const q = this.opts.quietHours;
    if (q === null) return false;
    const zone = this.opts.timeZone ?? this.siteZone() ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    return inQuietRange(q, localTime(Math.floor(this.clock.now() / 1000), zone).minute);
  }

  play(name: BuzzerPatternName): void {
    if (this.playing !== null && PRIORITY[this.playing] > PRIORITY[name]) return;
    this.cancel();
    this.playing = name;
    this.counts.played++;
    const steps = timeline(PATTERNS[name]);
    steps.forEach(({ atMs, hz }, i) => {
      const last = i === steps.length - 1;
      const run = (): void => {
        this.set(hz);
        if (last) this.playing = null;
      };
      if (atMs === 0) run();
      else this.timers.push(this.clock.setTimer(atMs, run));
    });
  }

  /** Silent now, and the driver released. */
  close(): void | Promise<void> {
    this.cancel();
    this.set(0);
    return this.buzzer.close();
  }

  private cancel(): void {
    for (const t of this.timers.splice(0)) t();
    this.playing = null;
  }

  private set(hz: number): void {
    try {
      if (hz > 0) this.buzzer.sound(hz, this.opts.volume);
      else this.buzzer.silence();
      this.failed = false;
    } catch (err) {
      if (!this.failed) this.log.error({ err: (err as Error).message }, 'buzzer failed');
      this.failed = true;
    }
  }
}

/** The buzzer options when the config has no `buzzer` section. */
const DEFAULT_BUZZER_OPTIONS: BuzzerOptions = { volume: 50, quietHours: null, timeZone: null };

/**
 * The runtime's buzzer: a controller over the part (null without one) that sounds each decided frame's verdict.
 * It listens to the pipeline, which calls its listeners after driving the relay and the LEDs, so the sound never
 * delays the gate. Returns the controller and the unsubscribe.
 */
export function verdictBuzzer(
  part: Buzzer | null | undefined,
  deps: {
    readonly clock: Clock;
    readonly opts: BuzzerOptions | undefined;
    readonly log: Logger;
    /** The bundle's opening-hours zone, when there is one. */
    readonly siteZone: () => string | null;
    readonly decisions: {
      onDecision(fn: (outcome: { readonly decision: { readonly pattern: DecisionPattern } | null }) => void): () => void;
    };
  },
): { readonly controller: BuzzerController | null; readonly unsubscribe: () => void } {
  if (!part) return { controller: null, unsubscribe: () => {} };
  const opts = deps.opts ?? DEFAULT_BUZZER_OPTIONS;
  const controller = new BuzzerController(part, deps.clock, opts, deps.log, deps.siteZone);
  const unsubscribe = deps.decisions.onDecision((o) => {
    if (o.decision) controller.verdict(o.decision.pattern);
  });
  return { controller, unsubscribe };
}
