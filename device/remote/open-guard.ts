// The device's check of a remote command (open, lockdown) before it acts: signed by the pinned root key
// (protocol/remote-open.ts), naming this site and gate, within its few seconds of validity on this gate's clock,
// and a nonce not seen before. Nonces are remembered until their command expires, so a replay does nothing.
import { isProtocolError } from '../../protocol/errors.js';
import { verifyRemoteLockdown, verifyRemoteOpen } from '../../protocol/remote-open.js';
import type { RemoteLockdownCommand, RemoteOpenCommand } from '../../protocol/remote-open.js';

export type RemoteOpenRefusal =
  | 'BAD_COMMAND' // not a well-formed, correctly signed command (the protocol reason is logged beside it)
  | 'WRONG_GATE' // names another site or gate
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'REPLAYED'; // this nonce was already used

export type RemoteCheck<C> =
  | { readonly ok: true; readonly command: C }
  | { readonly ok: false; readonly reason: RemoteOpenRefusal; readonly detail?: string };
export type RemoteOpenCheck = RemoteCheck<RemoteOpenCommand>;
export type RemoteLockdownCheck = RemoteCheck<RemoteLockdownCommand>;

export class RemoteOpenGuard {
  /** nonce → expiresAt (epoch seconds). */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly rootPublicKey: Uint8Array,
    private readonly place: { readonly site: string; readonly gate: string },
    /** Clock skew tolerated between server and gate, seconds. */
    private readonly skewSeconds = 2,
  ) {}

  /** A remote open command. */
  check(bytes: Uint8Array, nowSeconds: number): RemoteOpenCheck {
    return this.admit(bytes, nowSeconds, verifyRemoteOpen);
  }

  /** A lockdown command; its nonces share the memory of the open commands'. */
  checkLockdown(bytes: Uint8Array, nowSeconds: number): RemoteLockdownCheck {
    return this.admit(bytes, nowSeconds, verifyRemoteLockdown);
  }

  private admit<C extends RemoteOpenCommand>(
    bytes: Uint8Array,
    nowSeconds: number,
    verify: (bytes: Uint8Array, root: Uint8Array) => C,
  ): RemoteCheck<C> {
    let command: C;
    try {
      command = verify(bytes, this.rootPublicKey);
    } catch (err) {
      if (isProtocolError(err)) return { ok: false, reason: 'BAD_COMMAND', detail: err.code };
      throw err;
    }
    if (command.site !== this.place.site || command.gate !== this.place.gate)
      return { ok: false, reason: 'WRONG_GATE' };
    if (nowSeconds + this.skewSeconds < command.issuedAt) return { ok: false, reason: 'NOT_YET_VALID' };
    if (nowSeconds >= command.expiresAt + this.skewSeconds) return { ok: false, reason: 'EXPIRED' };
    for (const [nonce, until] of this.seen) if (until + this.skewSeconds <= nowSeconds) this.seen.delete(nonce);
    if (this.seen.has(command.nonce)) return { ok: false, reason: 'REPLAYED' };
    this.seen.set(command.nonce, command.expiresAt);
    return { ok: true, command };
  }
}
