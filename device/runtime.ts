// The device runtime: wires config → hardware → store → trust data → decoder → pipeline → gate and LEDs → status
// hub, and runs the timers around them (sunset and status every second, retention purge, the health-gated
// systemd watchdog).
// `stop()` and every failure path leave the relay in its safe state.
import type { CancelTimer, Clock } from '../common/clock.js';
import { every, nowSeconds, systemClock } from '../common/clock.js';
import type { DecideOptions, GatePlace } from './decide.js';
import { GateController } from './gate.js';
import type { GateEvent, GateOptions } from './gate.js';
import { LedController } from './leds/machine.js';
import type { LedBase, LedOptions } from './leds/machine.js';
import type { Logger } from './log.js';
import { areaLogger } from './log.js';
import { silentNotifier, watchHealth } from './notify.js';
import type { ServiceNotifier } from './notify.js';
import { Pipeline } from './pipeline.js';
import type { PresenceOptions } from './presence.js';
import { TrustKeeper } from './trust/keeper.js';
import type { TrustChange } from './trust/keeper.js';
import { RemoteCommands } from './remote/commands.js';
import type { RemoteLockdownCheck, RemoteOpenCheck } from './remote/open-guard.js';
import type { TimeTrust } from './time/trusted.js';
import { verdictBuzzer } from './buzzer.js';
import type { BuzzerController, BuzzerOptions } from './buzzer.js';
import { AlarmBoard } from './alarms/board.js';
import { identityUpdate, tickUpdate } from './runtime-status.js';
import { closeParts } from './runtime-parts.js';
import { PURGE_SLICES } from './store/index.js';
import type { RuntimeParts } from './runtime-parts.js';

/** Everything the runtime needs, resolved from the config file (runtimeOptions in device/boot.ts). */
export interface RuntimeOptions {
  readonly place: GatePlace & { readonly gate: string };
  readonly decide: DecideOptions;
  readonly presence: PresenceOptions;
  readonly gate: GateOptions;
  readonly leds: LedOptions;
  /** Privacy window: events and hashes older than this are purged, seconds. */
  readonly retentionSeconds: number;
  readonly purgeIntervalMs: number;
  readonly trust: {
    readonly rootPublicKey: string | null;
    readonly bundleFile: string | null;
    readonly revocationsFile: string | null;
  };
  /** The watchdog is pinged only while a frame arrived within this time. */
  readonly frameTimeoutMs: number;
  /** Scope entries that still open during a lockdown (config `lockdown.scope`); default none. */
  readonly lockdown?: { readonly scope: readonly string[] };
  /** Buzzer volume and quiet hours (config `buzzer`); used when the parts have a buzzer. */
  readonly buzzer?: BuzzerOptions;
}

export type { RuntimeParts } from './runtime-parts.js';

export interface RuntimeDeps {
  readonly clock?: Clock;
  readonly log: Logger;
  /** systemd readiness and the health-gated watchdog (device/notify.ts); default silent. */
  readonly notifier?: ServiceNotifier;
  readonly version?: string;
  /** Called once, after the sunset wipe (e.g. to stop the sync client). */
  readonly onSunset?: () => void;
  /** Whether the wall clock is trustworthy; absent: always trusted (device/time/trusted.ts). */
  readonly timeTrust?: TimeTrust;
}

const TICK_MS = 1000;

export class DeviceRuntime {
  readonly trust: TrustKeeper;
  readonly gate: GateController;
  readonly leds: LedController;
  readonly pipeline: Pipeline;
  /** Verdict and alarm sounds; null without a buzzer. */
  readonly buzzer: BuzzerController | null;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly notifier: ServiceNotifier;
  private readonly timeTrust: TimeTrust | null;
  /** Timers and registrations undone on stop. */
  private readonly cancels: CancelTimer[] = [];
  private loop: Promise<void> | null = null;
  private cameraFailure: unknown = null;
  private stopping: Promise<void> | null = null;
  /** A sliced revocation purge is under way (purge()). */
  private purgingRevocations = false;
  private readonly remote: RemoteCommands;
  /** Held alarms, the lockdown and the alarm list's listeners (device/alarms/board.ts). */
  private readonly board: AlarmBoard;
  private readonly onSunset: () => void;

  private constructor(
    private readonly opts: RuntimeOptions,
    private readonly parts: RuntimeParts,
    deps: RuntimeDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log;
    this.notifier = deps.notifier ?? silentNotifier;
    this.timeTrust = deps.timeTrust ?? null;
    this.onSunset = deps.onSunset ?? (() => {});
    const { store, gpio, hub } = parts;
    gpio.relay.safe();
    this.leds = new LedController(parts.ring, this.clock, opts.leds, areaLogger(deps.log, 'leds'), (s) =>
      hub?.update({ leds: { pattern: s.pattern, pixels: s.pixels } }),
    );
    this.gate = new GateController(gpio, this.clock, opts.gate, store, areaLogger(deps.log, 'gate'), (e) =>
      this.onGateEvent(e),
    );
    this.trust =
      parts.trust ?? new TrustKeeper(store, this.clock, areaLogger(deps.log, 'sync'), opts.trust.rootPublicKey);
    this.cancels.push(this.trust.subscribe((change) => this.onTrustChanged(change)));
    this.remote = new RemoteCommands({
      place: opts.place,
      rootPublicKey: () => this.trust.rootPublicKey(),
      clock: this.clock,
      log: areaLogger(deps.log, 'remote'),
      store,
      open: () => this.gate.open(),
      setLockdown: (on) => this.setLockdown(on, 'remote'),
    });
    // A signed time kept from an earlier boot cannot confirm today's clock; only one received from now on can.
    if (this.trust.heldAtStart !== null) this.timeTrust?.ignoreHeld(this.trust.heldAtStart);
    this.pipeline = new Pipeline(
      {
        decoder: parts.decoder,
        store,
        gate: this.gate,
        leds: this.leds,
        reporter: hub,
        clock: this.clock,
        log: areaLogger(deps.log, 'pipeline'),
        inputs: () => ({
          trust: this.trust.state(),
          place: opts.place,
          options: opts.decide,
          clockTrusted: this.clockTrusted(),
          lockdown: this.board.lockdown ? (opts.lockdown?.scope ?? []) : null,
        }),
      },
      opts.presence,
    );
    const buzzer = verdictBuzzer(parts.buzzer, {
      clock: this.clock,
      opts: opts.buzzer,
      log: areaLogger(deps.log, 'buzzer'),
      siteZone: () => this.trust.state().bundle?.policy.hours?.timeZone ?? null,
      decisions: this.pipeline,
    });
    this.buzzer = buzzer.controller;
    this.cancels.push(() => buzzer.unsubscribe());
    this.board = new AlarmBoard({
      inputs: gpio.inputs,
      gate: this.gate,
      leds: this.leds,
      buzzer: this.buzzer,
      log: this.log,
      derived: () => this.derivedAlarms(nowSeconds(this.clock)),
      publish: (alarms) => hub?.update({ alarms }),
    });
    hub?.update(identityUpdate(opts.place, deps.version ?? null, gpio.inputs));
  }

  /**
   * Start a runtime over ready parts: relay safe, LEDs booting, trust files loaded, gate listening, frames
   * flowing. On any start-up failure the parts are closed (relay safe) and the error is thrown.
   */
  static async start(opts: RuntimeOptions, parts: RuntimeParts, deps: RuntimeDeps): Promise<DeviceRuntime> {
    let rt: DeviceRuntime;
    try {
      rt = new DeviceRuntime(opts, parts, deps);
    } catch (err) {
      await closeParts(parts, deps.log);
      throw err;
    }
    try {
      rt.leds.start();
      await rt.trust.loadFiles(opts.trust.bundleFile, opts.trust.revocationsFile);
      rt.gate.start();
      rt.board.updateLockdown();
      rt.board.updateTamper();
      rt.purge();
      rt.tick();
      rt.cancels.push(every(rt.clock, TICK_MS, () => rt.tick()));
      rt.cancels.push(every(rt.clock, opts.purgeIntervalMs, () => rt.purge()));
      rt.cancels.push(watchHealth(rt.notifier, () => rt.healthy(), rt.clock, rt.log));
      const unregister = parts.hub?.onPulseRequest(() => {
        rt.log.info('relay test pulse requested on the status page');
        rt.gate.open();
      });
      if (unregister) rt.cancels.push(unregister);
      rt.loop = rt.pipeline.run(parts.camera.frames()).catch((err: unknown) => {
        rt.cameraFailure = err;
        rt.log.error({ err: (err as Error).message }, 'camera stream failed');
        if (rt.stopping === null) rt.board.changed();
      });
      if (rt.trust.state().bundle === null && !rt.trust.state().sunsetReached) {
        rt.log.warn('no trust bundle: every pass is refused (NO_TRUST_DATA) until one is loaded or synced');
      }
      rt.notifier.ready();
      rt.log.info({ site: opts.place.site, gate: opts.place.gate, direction: opts.place.direction }, 'device started');
      return rt;
    } catch (err) {
      await rt.stop();
      throw err;
    }
  }

  /**
   * The lockdown command (from an administrator): on or off. The lockdown is on while the command or the lockdown
   * input says so; only passes of the configured scope open then.
   */
  setLockdown(on: boolean, by: string): void {
    this.log.warn({ on, by }, 'lockdown command');
    this.board.setLockdownCommand(on);
  }

  /**
   * A remote open command from the server (signed by the pinned root, for this gate, fresh, nonce unseen): the
   * gate opens once. Logged and kept as an event either way (device/remote/commands.ts).
   */
  remoteOpen(bytes: Uint8Array): RemoteOpenCheck {
    return this.remote.open(bytes);
  }

  /** A signed lockdown command from the server, checked the same way; sets the commanded lockdown (setLockdown). */
  remoteLockdown(bytes: Uint8Array): RemoteLockdownCheck {
    return this.remote.lockdown(bytes);
  }

  get lockdown(): boolean {
    return this.board.lockdown;
  }

  /**
   * Listen to the alarm list (device/alarms/forwarder.ts): called at once after a gate alarm, the tamper loop or the
   * lockdown changes, and once a second with the list as it stands (stale data, clock, sunset move with time).
   * Listeners must be cheap and never throw into the gate; a throwing one is logged and ignored. Returns the
   * unsubscribe.
   */
  onAlarms(listener: (alarms: readonly string[]) => void): () => void {
    return this.board.onAlarms(listener);
  }

  /** The alarm list now (what the status page shows). */
  currentAlarms(): string[] {
    return this.board.list();
  }

  /** The error that ended the camera stream (a missing binary, a bad replay file), or null. */
  get failure(): unknown {
    return this.cameraFailure;
  }

  /** Resolves when the frame loop ended (camera closed or stop()). */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Whether the wall clock can judge expiry now; a signed time that just landed counts at once. */
  private clockTrusted(): boolean {
    if (this.timeTrust === null) return true;
    const now = this.clock.now();
    const at = this.trust.state().trustDataAt;
    if (at !== null) this.timeTrust.observeSigned(at, now);
    return this.timeTrust.status(now).trusted;
  }

  /** Drive the relay safe now, synchronously (for last-chance exit paths). */
  safeNow(): void {
    try {
      // A release gate during a fire alarm stays released (its stop state); see device/gate.ts.
      if (this.gate.fireRelease) this.parts.gpio.relay.set(true);
      else this.parts.gpio.relay.safe();
    } catch {
      // Nothing more can be done here; the systemd unit resets the pin after the process ends.
    }
  }

  /** Stop everything: frames, timers, gate (relay safe), LEDs off, decoder, store. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.notifier.stopping();
    this.safeNow();
    this.pipeline.stop();
    for (const cancel of this.cancels.splice(0)) cancel();
    const steps: [string, () => unknown][] = [
      ['camera', () => this.parts.camera.close()],
      ['frame loop', () => this.loop],
      ['gate', () => this.gate.close()],
      ['leds', () => this.leds.stop()],
      ['buzzer', () => this.buzzer?.close()],
      ['decoder', () => this.parts.decoder.close()],
      ['extras', () => this.parts.closeExtras?.()],
      ['gpio', () => this.parts.gpio.close()],
      ['ring', () => this.parts.ring.close()],
      ['store', () => this.parts.store.close()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.log.error({ err: (err as Error).message, part: name }, 'error while stopping');
      }
    }
    this.log.info('device stopped');
  }

  /**
   * Once a second, for what moves with time alone: the sunset, the data turning stale, the status page. Trust data
   * changes arrive from the TrustKeeper (onTrustChanged); nothing here reads the store's trust data.
   */
  private tick(): void {
    const now = nowSeconds(this.clock);
    const trust = this.trust.state();
    if (trust.trustDataAt !== null) this.timeTrust?.observeSigned(trust.trustDataAt, this.clock.now());
    if (!trust.sunsetReached && trust.bundle !== null && now >= trust.bundle.sunset) {
      try {
        this.trust.sunset();
        this.onSunset();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'sunset wipe failed');
      }
    }
    this.leds.setBase(this.baseState(now));
    const alarms = this.board.list();
    const hub = this.parts.hub;
    if (hub) {
      const clockSource = this.timeTrust ? this.timeTrust.status(this.clock.now()).source : null;
      hub.update(tickUpdate(alarms, { ...this.parts, trust: this.trust }, clockSource));
    }
    this.board.emit(alarms);
  }

  private baseState(now: number): LedBase {
    const trust = this.trust.state();
    if (trust.sunsetReached) return 'sunset';
    if (now + this.opts.decide.skewSeconds < trust.clockFloor) return 'fault';
    if (trust.bundle === null) return 'stale';
    let maxAge = trust.bundle.policy.maxOfflineAgeSeconds;
    if (this.opts.decide.localMaxOfflineAgeSeconds !== null)
      maxAge = Math.min(maxAge, this.opts.decide.localMaxOfflineAgeSeconds);
    if (trust.trustDataAt === null || now - trust.trustDataAt > maxAge) return 'stale';
    // Offline (the sync client's last attempt failed): still deciding with fresh data, but staff should know.
    if (this.trust.syncState().lastError !== null) return 'offline';
    return 'idle';
  }

  /** Healthy: a frame arrived recently and the frame loop is still running. */
  healthy(): boolean {
    const last = this.pipeline.stats.lastFrameAt;
    return this.stopping === null && last !== null && Math.abs(this.clock.now() - last) <= this.opts.frameTimeoutMs;
  }

  private purge(): void {
    const now = nowSeconds(this.clock);
    try {
      const r = this.parts.store.purgeExpired(now, this.opts.retentionSeconds, { revocations: false });
      if (r.events + r.passback > 0) this.log.info(r, 'retention purge');
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'retention purge failed');
    }
    if (this.purgingRevocations) return;
    // The revocation list may hold millions of ids: a slice of it per turn of the event loop, so decisions are
    // answered between slices instead of waiting for one scan of the whole table.
    this.purgingRevocations = true;
    let removed = 0;
    const slice = (index: number): void => {
      try {
        if (this.stopping !== null) return void (this.purgingRevocations = false);
        removed += this.parts.store.purgeExpiredRevocations(now, index);
      } catch (err) {
        this.purgingRevocations = false;
        this.log.error({ err: (err as Error).message }, 'revocation purge failed');
        return;
      }
      if (index + 1 < PURGE_SLICES) {
        setImmediate(slice, index + 1);
        return;
      }
      this.purgingRevocations = false;
      if (removed > 0) this.log.info({ revocations: removed }, 'retention purge');
    };
    slice(0);
  }


  /**
   * New trust data takes effect from the next frame. A code still in view is not decided again at once (that
   * could flip the verdict in front of the person); it is after it left the view, or, if it was denied, after the
   * hold-off (see device/presence.ts).
   */
  private onTrustChanged(change: TrustChange): void {
    // New keys, policy or revocations: no pass signature checked under the old data is taken on trust.
    if (change.cause !== 'sync') this.pipeline?.trustChanged();
    if (this.stopping === null) this.leds?.setBase(this.baseState(nowSeconds(this.clock)));
  }

  private onGateEvent(e: GateEvent): void {
    const hub = this.parts.hub;
    switch (e.kind) {
      case 'relay':
        hub?.update({ relay: { active: e.active } });
        return;
      case 'input':
        hub?.update({ inputs: { [e.input]: e.active } });
        if (e.input === 'lockdown') this.board.updateLockdown();
        if (e.input === 'tamper') this.board.updateTamper();
        return;
      case 'alarm':
        this.board.gateAlarm(e.alarm, e.active);
        return;
      case 'passed':
      case 'annulled':
      case 'exit-button':
        return;
      default: {
        const unreachable: never = e;
        return unreachable;
      }
    }
  }

  /**
   * The states a guard must see besides the held alarms (device/alarms/board.ts): camera failed, clock fault (below
   * the floor), clock untrusted (device/time/trusted.ts), stale data, offline, sunset.
   */
  private derivedAlarms(now: number): string[] {
    const alarms: string[] = [];
    if (this.cameraFailure !== null) alarms.push('camera-fault');
    const base = this.baseState(now);
    if (base === 'fault') alarms.push('clock-fault');
    else if (this.timeTrust !== null && !this.timeTrust.status(this.clock.now()).trusted) alarms.push('clock-untrusted');
    if (base === 'stale') alarms.push('stale-data');
    if (base === 'offline') alarms.push('offline');
    if (base === 'sunset') alarms.push('sunset');
    return alarms;
  }
}
