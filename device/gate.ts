// Gate logic: what the relay and the inputs mean. A grant releases the gate (a relay pulse, or holding a strike
// until the door has opened and closed); the exit button releases it without a pass; the door contact raises a
// held-open alarm after N seconds and a forced-open alarm when the door opens without a grant; with a turnstile
// rotation sensor, a grant with no passage within N seconds is annulled (anti-passback entry removed, event
// marked not passed). Every timeout runs on the injected clock.
// Fire release: while the fire loop is open (alarm or cut wire) the relay is held energised (free passage) and
// nothing here drives it safe: not a pulse ending, a hold timing out, a lockdown, nor close() (the stop state of a
// release gate during an alarm is released; the systemd unit's stop step does the same from the pin).
import type { GpioPorts, InputEvent } from '../hardware/gpio/types.js';
import type { CancelTimer, Clock } from '../common/clock.js';
import type { Direction } from './decide.js';
import type { Logger } from './log.js';
import { logHash } from './log.js';

export type RelayMode = 'pulse' | 'hold';

export interface GateOptions {
  readonly relayMode: RelayMode;
  /** Pulse length, ms (pulse mode). */
  readonly pulseMs: number;
  /** Hold mode: release the strike after this long when the door never opened, ms. */
  readonly holdMs: number;
  /** After a grant or the exit button, the door may open within this time without a forced-open alarm, ms. */
  readonly grantWindowMs: number;
  /** Raise the forced-open alarm when the door opens without a grant (off for doors with a free mechanical exit). */
  readonly forcedOpenAlarm: boolean;
  /** Door open longer than this raises the held-open alarm, seconds. */
  readonly heldOpenSeconds: number;
  /** With a rotation sensor: no passage within this time after a grant annuls it, seconds. */
  readonly rotationTimeoutSeconds: number;
}

export const DEFAULT_GATE_OPTIONS: GateOptions = {
  relayMode: 'pulse',
  pulseMs: 800,
  holdMs: 8000,
  grantWindowMs: 10_000,
  forcedOpenAlarm: true,
  heldOpenSeconds: 30,
  rotationTimeoutSeconds: 8,
};

export interface GateStore {
  passbackRemove(hash: string, zone: string): void;
  markNotPassed(eventId: number): void;
  bump(counter: string, by?: number): void;
}

export type GateAlarm = 'door-held-open' | 'door-forced' | 'fire-release';

export type GateEvent =
  | { readonly kind: 'relay'; readonly active: boolean }
  | { readonly kind: 'input'; readonly input: InputEvent['input']; readonly active: boolean }
  | { readonly kind: 'passed'; readonly eventId: number | null; readonly direction: Direction | null }
  | { readonly kind: 'annulled'; readonly eventId: number | null }
  | { readonly kind: 'alarm'; readonly alarm: GateAlarm; readonly active: boolean }
  | { readonly kind: 'exit-button' };

/** A granted passage waiting for the turnstile to turn. */
export interface Passage {
  readonly eventId: number | null;
  readonly passHash: string | null;
  readonly zone: string;
  readonly direction: Direction | null;
}

interface PendingPassage extends Passage {
  cancel: CancelTimer;
}

export class GateController {
  private readonly unsubscribe: (() => void)[] = [];
  private readonly pending: PendingPassage[] = [];
  private readonly activeAlarms = new Set<GateAlarm>();
  private authorisedUntil = Number.NEGATIVE_INFINITY;
  private heldTimer: CancelTimer | null = null;
  private holdTimer: CancelTimer | null = null;
  private doorOpenedSinceHold = false;
  private fire = false;
  private closed = false;

  constructor(
    private readonly gpio: GpioPorts,
    private readonly clock: Clock,
    private readonly opts: GateOptions,
    private readonly store: GateStore,
    private readonly log: Logger,
    private readonly onEvent: (event: GateEvent) => void = () => {},
  ) {}

  /** Listen to the inputs that are wired. The relay is driven safe first. */
  start(): void {
    this.gpio.relay.safe();
    for (const input of Object.values(this.gpio.inputs)) {
      if (input) this.unsubscribe.push(input.onChange((e) => this.onInput(e)));
    }
    if (this.gpio.inputs.fire?.active) this.setFire(true);
    const door = this.gpio.inputs.door;
    if (door?.active) this.onDoor(true);
  }

  /** True while the fire loop is open and the gate is held in free passage. */
  get fireRelease(): boolean {
    return this.fire;
  }

  get hasRotationSensor(): boolean {
    return this.gpio.inputs.rotation !== undefined;
  }

  alarms(): GateAlarm[] {
    return [...this.activeAlarms];
  }

  /** Release the gate now: the relay command is issued before this returns. */
  open(): void {
    if (this.closed) return;
    this.authorisedUntil = this.clock.now() + this.opts.grantWindowMs;
    if (this.fire) return; // already released, for as long as the alarm lasts
    const relay = this.gpio.relay;
    if (this.opts.relayMode === 'pulse') {
      this.onEvent({ kind: 'relay', active: true });
      relay.pulse(this.opts.pulseMs).then(
        () => this.onEvent({ kind: 'relay', active: relay.active }),
        (err: unknown) => {
          this.log.error({ err: (err as Error).message }, 'relay pulse failed');
          this.safeRelay();
        },
      );
      return;
    }
    try {
      relay.set(true);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'relay set failed');
      this.safeRelay();
      return;
    }
    this.onEvent({ kind: 'relay', active: true });
    this.doorOpenedSinceHold = this.gpio.inputs.door?.active ?? false;
    this.holdTimer?.();
    this.holdTimer = this.clock.setTimer(this.opts.holdMs, () => {
      this.holdTimer = null;
      this.releaseHold('timeout');
    });
  }

  /**
   * Register a granted passage. With a rotation sensor it waits for the turnstile; without one, the passage is
   * counted at once (nothing can tell otherwise).
   */
  expectPassage(passage: Passage): void {
    if (this.closed) return;
    if (!this.hasRotationSensor) {
      this.countPassage(passage);
      return;
    }
    const entry: PendingPassage = {
      ...passage,
      cancel: this.clock.setTimer(this.opts.rotationTimeoutSeconds * 1000, () => this.annul(entry)),
    };
    this.pending.push(entry);
  }

  /** Stop listening, cancel timers and leave the relay safe. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const p of this.pending.splice(0)) p.cancel();
    this.heldTimer?.();
    this.holdTimer?.();
    this.safeRelay();
  }

  /**
   * A lockdown began: end any hold or grant window now and drive the relay safe (the fire release, if on, keeps
   * it released all the same).
   */
  lock(): void {
    if (this.closed) return;
    this.holdTimer?.();
    this.holdTimer = null;
    if (!this.fire) this.authorisedUntil = Number.NEGATIVE_INFINITY;
    this.safeRelay();
  }

  private setFire(open: boolean): void {
    if (open === this.fire) return;
    this.fire = open;
    if (open) {
      this.holdTimer?.();
      this.holdTimer = null;
      this.authorisedUntil = Number.POSITIVE_INFINITY;
      this.holdReleased();
      this.log.warn('fire release: gate held in free passage while the fire loop is open');
      this.raise('fire-release');
      return;
    }
    this.log.info('fire loop closed: gate back to normal');
    this.authorisedUntil = this.clock.now() + this.opts.grantWindowMs;
    this.clear('fire-release');
    this.safeRelay();
  }

  /** Energise and latch the relay; on a write error, try again on the next tick until the alarm ends. */
  private holdReleased(): void {
    if (!this.fire) return;
    try {
      this.gpio.relay.set(true);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'fire release: relay set failed; retrying');
      this.clock.setTimer(50, () => this.holdReleased());
      return;
    }
    this.onEvent({ kind: 'relay', active: true });
  }

  private onInput(e: InputEvent): void {
    if (this.closed) return;
    this.onEvent({ kind: 'input', input: e.input, active: e.active });
    switch (e.input) {
      case 'door':
        this.onDoor(e.active);
        return;
      case 'exit':
        if (e.active) {
          this.log.info('exit button');
          this.store.bump('exit-button');
          this.onEvent({ kind: 'exit-button' });
          this.open();
        }
        return;
      case 'rotation':
        if (e.active) this.onRotation();
        return;
      case 'fire':
        this.setFire(e.active);
        return;
      case 'lockdown':
        return; // the runtime holds the lockdown state (input or command) and calls lock()
      case 'tamper':
        return; // an alarm only (the runtime raises it); the gate's decisions do not change

      default: {
        const unreachable: never = e.input;
        return unreachable;
      }
    }
  }

  private onDoor(open: boolean): void {
    if (open) {
      this.doorOpenedSinceHold = true;
      const granted = this.clock.now() <= this.authorisedUntil || this.gpio.relay.active;
      if (!granted && this.opts.forcedOpenAlarm) this.raise('door-forced');
      this.heldTimer?.();
      this.heldTimer = this.clock.setTimer(this.opts.heldOpenSeconds * 1000, () => {
        this.heldTimer = null;
        if (!this.fire) this.raise('door-held-open'); // open doors are the point of an evacuation
      });
      return;
    }
    this.heldTimer?.();
    this.heldTimer = null;
    this.clear('door-held-open');
    this.clear('door-forced');
    this.authorisedUntil = Number.NEGATIVE_INFINITY; // one grant, one opening
    if (this.holdTimer && this.doorOpenedSinceHold) {
      this.holdTimer();
      this.holdTimer = null;
      this.releaseHold('door closed');
    }
  }

  private onRotation(): void {
    const passage = this.pending.shift();
    if (!passage) {
      this.log.warn('turnstile turned without a grant');
      this.store.bump('rotation-without-grant');
      return;
    }
    passage.cancel();
    this.countPassage(passage);
    if (this.opts.relayMode === 'hold' && this.holdTimer) {
      this.holdTimer();
      this.holdTimer = null;
      this.releaseHold('passed');
    }
  }

  private countPassage(p: Passage): void {
    this.guard('count passage', () => {
      if (p.direction === 'in') {
        this.store.bump('entries');
        this.store.bump('occupancy', 1);
      } else if (p.direction === 'out') {
        this.store.bump('exits');
        this.store.bump('occupancy', -1);
      } else {
        this.store.bump('passages');
      }
    });
    this.onEvent({ kind: 'passed', eventId: p.eventId, direction: p.direction });
  }

  private annul(p: PendingPassage): void {
    const i = this.pending.indexOf(p);
    if (i < 0) return;
    this.pending.splice(i, 1);
    this.guard('annul', () => {
      if (p.passHash !== null) this.store.passbackRemove(p.passHash, p.zone);
      if (p.eventId !== null) this.store.markNotPassed(p.eventId);
      this.store.bump('annulled');
    });
    if (this.opts.relayMode === 'hold' && this.pending.length === 0) this.safeRelay();
    this.log.info({ pass: logHash(p.passHash), eventId: p.eventId }, 'no passage after grant: annulled');
    this.onEvent({ kind: 'annulled', eventId: p.eventId });
  }

  private releaseHold(why: string): void {
    this.log.debug({ why }, 'strike released');
    this.safeRelay();
  }

  private safeRelay(): void {
    if (this.fire) {
      this.holdReleased();
      return;
    }
    try {
      this.gpio.relay.safe();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'relay safe failed');
    }
    this.onEvent({ kind: 'relay', active: false });
  }

  private raise(alarm: GateAlarm): void {
    if (this.activeAlarms.has(alarm)) return;
    this.activeAlarms.add(alarm);
    this.log.warn({ alarm }, 'door alarm');
    this.guard('count alarm', () => this.store.bump(`alarm:${alarm}`));
    this.onEvent({ kind: 'alarm', alarm, active: true });
  }

  private clear(alarm: GateAlarm): void {
    if (!this.activeAlarms.delete(alarm)) return;
    this.log.info({ alarm }, 'door alarm cleared');
    this.onEvent({ kind: 'alarm', alarm, active: false });
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err: (err as Error).message, what }, 'gate store update failed');
    }
  }
}
