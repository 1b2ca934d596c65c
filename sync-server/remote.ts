// Remote commands from an administrator to one online gate: open once, lockdown on or off. The server signs each
// with the deployment root key (protocol/remote-open.ts: site, gate, a few seconds of validity, a random nonce),
// pushes it over the gate's push stream (sync-server/push.ts) and waits briefly for the device's answer. An
// offline gate cannot be commanded: nothing is queued. Every command lands in the audit log with its result.
import { randomBytes } from 'node:crypto';
import type { PushCommand, PushCommandKind } from '../protocol/api/device.js';
import { PUSH_EVENTS } from '../protocol/api/device.js';
import { signRemoteLockdown, signRemoteOpen } from '../protocol/remote-open.js';
import type { ServerCore } from './core.js';
import { DomainError } from './errors.js';
import type { PushConnectionInfo, PushHub } from './push.js';

/** How long a command is valid: enough for the push and a little clock skew, too short to hoard. */
export const REMOTE_COMMAND_SECONDS = 5;
/** How long the admin call waits for the device's answer. */
export const REMOTE_ANSWER_MS = 3000;

export interface RemoteResult {
  readonly site: string;
  readonly gate: string;
  readonly deviceId: string;
  /** `done`: the device opened (or applied the lockdown); `refused`: it refused (see reason); `unconfirmed`: no
   * answer in time (the command may still have acted; it expires within seconds either way). */
  readonly result: 'done' | 'refused' | 'unconfirmed';
  readonly reason: string | null;
  /** The gate's lockdown state as the device reported it, when it did. */
  readonly lockdown: boolean | null;
  /** Milliseconds from signing to the answer. */
  readonly ms: number;
}

export class RemoteCommandService {
  constructor(
    private readonly core: ServerCore,
    private readonly push: PushHub,
  ) {}

  /** The connected gate named `gate` (at `site`, when given): GATE_OFFLINE when none, GATE_AMBIGUOUS when several. */
  find(gate: string, site: string | undefined): PushConnectionInfo {
    const matches = this.push.connected().filter((c) => c.gate === gate && (site === undefined || c.site === site));
    if (matches.length === 0) throw new DomainError('GATE_OFFLINE', { detail: 'not-connected' });
    const first = matches[0] as PushConnectionInfo;
    if (matches.length > 1) {
      // Two sites with a gate of this name: the caller names the site. One site and gate on several devices (an
      // entry and an exit reader on one door) would open several relays: refused as well.
      const sites = new Set(matches.map((m) => m.site));
      throw new DomainError('GATE_AMBIGUOUS', { detail: sites.size > 1 ? 'site' : 'devices' });
    }
    return first;
  }

  open(actor: string, gate: string, site?: string): Promise<RemoteResult> {
    return this.send(actor, 'open', gate, site, undefined);
  }

  lockdown(actor: string, gate: string, on: boolean, site?: string): Promise<RemoteResult> {
    return this.send(actor, 'lockdown', gate, site, on);
  }

  private async send(
    actor: string,
    kind: PushCommandKind,
    gate: string,
    site: string | undefined,
    on: boolean | undefined,
  ): Promise<RemoteResult> {
    const action = kind === 'open' ? 'gate.open' : 'gate.lockdown';
    let target: PushConnectionInfo;
    try {
      target = this.find(gate, site);
    } catch (err) {
      const code = err instanceof DomainError ? err.code : 'INTERNAL';
      this.core.audit.record(this.core.now(), actor, action, `${site ?? '*'}/${gate}`, { result: code, on });
      throw err;
    }
    const started = performance.now();
    const issuedAt = this.core.now();
    const base = {
      site: target.site,
      gate: target.gate,
      issuedAt,
      expiresAt: issuedAt + REMOTE_COMMAND_SECONDS,
      nonce: randomBytes(16).toString('hex'),
    };
    const root = this.core.keys.root();
    const bytes = kind === 'open' ? signRemoteOpen(base, root) : signRemoteLockdown({ ...base, on: on === true }, root);
    const id = randomBytes(12).toString('hex');
    const message: PushCommand = { id, kind, command: Buffer.from(bytes).toString('base64url') };
    const answer = await this.push.request(target.deviceId, PUSH_EVENTS.command, id, message, REMOTE_ANSWER_MS);
    const out: RemoteResult = {
      site: target.site,
      gate: target.gate,
      deviceId: target.deviceId,
      result: answer === null ? 'unconfirmed' : answer.ok ? 'done' : 'refused',
      reason: answer?.ok === false ? (answer.reason ?? 'REFUSED') : null,
      lockdown: answer?.lockdown ?? null,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    this.core.audit.record(this.core.now(), actor, action, `${target.site}/${target.gate}`, {
      deviceId: target.deviceId,
      result: out.result,
      ...(out.reason === null ? {} : { reason: out.reason }),
      ...(on === undefined ? {} : { on }),
      nonce: base.nonce,
    });
    this.core.log.warn({ actor, action, site: target.site, gate: target.gate, result: out.result }, 'remote command');
    return out;
  }
}
