// Remote commands arriving over the push channel (device/sync/push.ts): each `command` event carries a signed
// command (open or lockdown); the runtime checks and acts on it (device/remote/commands.ts), and the outcome goes
// back to the server as an ack (POST /api/device/push/ack), which the administrator's call is waiting for.
import { PUSH_EVENTS, pushCommandSchema } from '../../protocol/api/device.js';
import type { PushAck } from '../../protocol/api/device.js';
import type { PushClient } from '../sync/push.js';
import type { RemoteLockdownCheck, RemoteOpenCheck } from './open-guard.js';

/** The part of the runtime that takes remote commands. */
export interface RemoteTarget {
  remoteOpen(bytes: Uint8Array): RemoteOpenCheck;
  remoteLockdown(bytes: Uint8Array): RemoteLockdownCheck;
  readonly lockdown: boolean;
}

/** Route pushed commands to `target`; `onAck` sees each ack (tests and the bench use it). */
export function handleRemoteCommands(push: PushClient, target: RemoteTarget, onAck?: (a: PushAck) => void): void {
  push.on(PUSH_EVENTS.command, (e) => {
    let parsed;
    try {
      parsed = pushCommandSchema.safeParse(JSON.parse(e.data));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const { id, kind, command } = parsed.data;
    const bytes = new Uint8Array(Buffer.from(command, 'base64url'));
    const result = kind === 'open' ? target.remoteOpen(bytes) : target.remoteLockdown(bytes);
    const ack: PushAck = result.ok
      ? { id, ok: true, lockdown: target.lockdown }
      : { id, ok: false, reason: result.reason, lockdown: target.lockdown };
    onAck?.(ack);
    void push.post('pushAck', ack);
  });
}
