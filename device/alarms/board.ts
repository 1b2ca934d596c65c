// The runtime's alarm board: the alarms a part raised and holds (the gate's door and fire alarms, the lockdown, the
// enclosure tamper loop), what each one does on the LEDs, the buzzer and the gate when it starts, and the list the
// status page and the alarm forwarder (device/alarms/forwarder.ts) see. The states that move with time (camera
// fault, clock, stale data, sunset) are the runtime's; it hands them in through `derived`.
// Nothing here decides a pass: the lockdown only locks the gate, and the pipeline reads `lockdown` for its scope.
import type { GpioPorts } from '../../hardware/gpio/types.js';
import type { Logger } from '../log.js';

export interface AlarmBoardDeps {
  /** The lockdown and tamper inputs (absent: never active). */
  readonly inputs: GpioPorts['inputs'];
  readonly gate: { lock(): void };
  readonly leds: { setDoorAlarm(on: boolean): void; setFireRelease(on: boolean): void };
  /** The alarm sound on each raise; null without a buzzer. */
  readonly buzzer: { alarm(alarm: string): void } | null;
  readonly log: Logger;
  /** The runtime's states that move with time, in the order the list shows them. */
  readonly derived: () => string[];
  /** Told the list at once after each change (the status hub). */
  readonly publish: (alarms: readonly string[]) => void;
}

export type AlarmListener = (alarms: readonly string[]) => void;

export class AlarmBoard {
  /** Raised by a part and held until it clears: gate alarms, `lockdown`, `tamper`. */
  private readonly held = new Set<string>();
  private lockdownCommand = false;
  private lockdownOn = false;
  private readonly listeners = new Set<AlarmListener>();

  constructor(private readonly deps: AlarmBoardDeps) {}

  /** On while the lockdown command or the lockdown input says so. */
  get lockdown(): boolean {
    return this.lockdownOn;
  }

  /** The lockdown command (an administrator's, local or signed remote). */
  setLockdownCommand(on: boolean): void {
    this.lockdownCommand = on;
    this.updateLockdown();
  }

  /** Re-read the lockdown: on raises `lockdown`, sounds the alarm and locks the gate; off clears it. */
  updateLockdown(): void {
    const on = this.lockdownCommand || (this.deps.inputs.lockdown?.active ?? false);
    if (on === this.lockdownOn) return;
    this.lockdownOn = on;
    if (on) {
      this.deps.log.warn('lockdown: only the lockdown scope opens');
      this.held.add('lockdown');
      this.deps.buzzer?.alarm('lockdown');
      this.deps.gate.lock();
    } else {
      this.deps.log.info('lockdown ended');
      this.held.delete('lockdown');
    }
    this.changed();
  }

  /**
   * The enclosure tamper loop (inputs.tamper): open (lid or cut wire) raises `tamper` with the door/alarm LED
   * pattern and the alarm sound; closed clears it. It changes no decision.
   */
  updateTamper(): void {
    const open = this.deps.inputs.tamper?.active ?? false;
    if (open === this.held.has('tamper')) return;
    if (open) {
      this.deps.log.warn('tamper: the enclosure is open');
      this.held.add('tamper');
      this.deps.buzzer?.alarm('tamper');
    } else {
      this.deps.log.info('tamper: the enclosure is closed');
      this.held.delete('tamper');
    }
    this.showDoorAlarm();
    this.changed();
  }

  /** A gate alarm raised or cleared (device/gate.ts); the fire release has its own LED pattern. */
  gateAlarm(alarm: string, active: boolean): void {
    if (active && !this.held.has(alarm)) this.deps.buzzer?.alarm(alarm);
    if (active) this.held.add(alarm);
    else this.held.delete(alarm);
    if (alarm === 'fire-release') this.deps.leds.setFireRelease(active);
    this.showDoorAlarm();
    this.changed();
  }

  /** The door/alarm LED pattern: on while any alarm other than the fire release (own pattern) and lockdown is. */
  private showDoorAlarm(): void {
    this.deps.leds.setDoorAlarm([...this.held].some((a) => a !== 'fire-release' && a !== 'lockdown'));
  }

  /** The list now: the held alarms, then the runtime's derived states. */
  list(): string[] {
    return [...this.held, ...this.deps.derived()];
  }

  /**
   * Listen to the list: called at once after a change and on each emit() (the runtime's tick). Listeners must be
   * cheap and never throw into the gate; a throwing one is logged and ignored. Returns the unsubscribe.
   */
  onAlarms(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publish and emit the list after a change (also for a derived state that changed, e.g. the camera failing). */
  changed(): void {
    const alarms = this.list();
    this.deps.publish(alarms);
    this.emit(alarms);
  }

  /** Tell every listener the list. */
  emit(alarms: readonly string[]): void {
    for (const listener of this.listeners) {
      try {
        listener(alarms);
      } catch (err) {
        this.deps.log.error({ err: (err as Error).message }, 'alarm listener failed');
      }
    }
  }
}
