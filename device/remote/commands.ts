// What the device does with a remote command from the server (open once, lockdown on or off): check it with the
// guard over the pinned root key, act, and keep it in the device's own audit trail: a log line, a counter and an
// event (REMOTE_OPEN, REMOTE_LOCKDOWN:ON|OFF, or REMOTE_OPEN_REFUSED:<reason> / REMOTE_LOCKDOWN_REFUSED:<reason>),
// which the sync client uploads with the pass events.
import type { Clock } from '../../common/clock.js';
import { nowSeconds } from '../../common/clock.js';
import type { Logger } from '../log.js';
import type { DeviceStore } from '../store/types.js';
import { RemoteOpenGuard } from './open-guard.js';
import type { RemoteLockdownCheck, RemoteOpenCheck } from './open-guard.js';

export interface RemoteCommandDeps {
  readonly place: { readonly site: string; readonly gate: string };
  /** The pinned root key, or null (every command is refused then). */
  readonly rootPublicKey: () => Uint8Array | null;
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: Pick<DeviceStore, 'addEvent' | 'bump'>;
  /** Open the gate once (GateController.open). */
  readonly open: () => void;
  readonly setLockdown: (on: boolean) => void;
}

const NO_ROOT = { ok: false, reason: 'BAD_COMMAND', detail: 'NO_ROOT_KEY' } as const;

export class RemoteCommands {
  private held: { key: string; guard: RemoteOpenGuard } | null = null;

  constructor(private readonly deps: RemoteCommandDeps) {}

  open(bytes: Uint8Array): RemoteOpenCheck {
    const guard = this.guard();
    const result = guard ? guard.check(bytes, nowSeconds(this.deps.clock)) : NO_ROOT;
    if (result.ok) {
      this.deps.log.warn({ nonce: result.command.nonce, issuedAt: result.command.issuedAt }, 'remote open');
      this.deps.open();
    } else {
      this.deps.log.warn({ reason: result.reason, detail: result.detail }, 'remote open refused');
    }
    this.deps.store.bump(result.ok ? 'remote-open' : `remote-open-refused:${result.reason}`);
    this.record(result.ok ? 'REMOTE_OPEN' : `REMOTE_OPEN_REFUSED:${result.reason}`, result.ok ? 'green' : 'red');
    return result;
  }

  lockdown(bytes: Uint8Array): RemoteLockdownCheck {
    const guard = this.guard();
    const result = guard ? guard.checkLockdown(bytes, nowSeconds(this.deps.clock)) : NO_ROOT;
    if (result.ok) {
      this.deps.log.warn({ on: result.command.on, nonce: result.command.nonce }, 'remote lockdown');
      this.deps.setLockdown(result.command.on);
    } else {
      this.deps.log.warn({ reason: result.reason, detail: result.detail }, 'remote lockdown refused');
    }
    this.record(
      result.ok ? `REMOTE_LOCKDOWN:${result.command.on ? 'ON' : 'OFF'}` : `REMOTE_LOCKDOWN_REFUSED:${result.reason}`,
      result.ok ? 'yellow' : 'red',
    );
    return result;
  }

  /** The guard over the pinned root key (a new one when the key changed), or null without a root key. */
  private guard(): RemoteOpenGuard | null {
    const root = this.deps.rootPublicKey();
    if (root === null) return null;
    const key = Buffer.from(root).toString('base64url');
    if (this.held?.key !== key) this.held = { key, guard: new RemoteOpenGuard(root, this.deps.place) };
    return this.held.guard;
  }

  private record(reason: string, colour: 'green' | 'yellow' | 'red'): void {
    try {
      const at = nowSeconds(this.deps.clock);
      this.deps.store.addEvent({
        at,
        colour,
        reason,
        passHash: null,
        direction: null,
        opened: reason === 'REMOTE_OPEN',
      });
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message }, 'remote command not recorded');
    }
  }
}
