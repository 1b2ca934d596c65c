// Enrolment: trade a one-time code for a device id and token, pin the deployment root key after checking it
// against the fingerprint in the enrolment code, and record them through device/trust/enrolment.ts. Write-once: a
// second enrolment needs `reenrol: true`, and never switches the pinned root under trust data signed by another.
import { decodePublicKey, rootFingerprint } from '../../protocol/index.js';
import { systemClock } from '../../common/clock.js';
import type { Clock } from '../../common/clock.js';
import { readEnrolment, writeEnrolment } from '../trust/enrolment.js';
import type { Enrolment } from '../trust/enrolment.js';
import { parseEnrolUri, sameFingerprint } from './enrol-uri.js';
import { SyncError } from './errors.js';
import { DeviceApi } from './http.js';
import { silentLogger } from './types.js';
import type { FetchLike, SyncLogger, SyncStore } from './types.js';

export interface EnrolOptions {
  readonly store: Pick<SyncStore, 'getState' | 'setState' | 'getBundle'>;
  /** The enrolment URI (`gatecode-enrol:?u=…&c=…&fp=…`). */
  readonly uri: string;
  /** A name the server shows for this device (e.g. "north gate"). */
  readonly name?: string;
  /** Replace an existing enrolment (same deployment root only, while trust data is held). */
  readonly reenrol?: boolean;
  readonly fetch?: FetchLike;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
  readonly log?: SyncLogger;
}

/** Decode a root key and check it against the code's fingerprint; returns its fingerprint. */
function checkRoot(encoded: string, expected: string, log: SyncLogger): string {
  let key: Uint8Array;
  try {
    key = decodePublicKey(encoded);
  } catch {
    throw new SyncError('BAD_RESPONSE', 'the root public key the server sent cannot be decoded');
  }
  const fingerprint = rootFingerprint(key);
  if (!sameFingerprint(fingerprint, expected)) {
    log.error({ expected, actual: fingerprint }, 'enrolment refused: root key does not match the fingerprint');
    throw new SyncError(
      'FINGERPRINT_MISMATCH',
      `the server's root key has fingerprint ${fingerprint}, the enrolment code says ${expected}: not pinned`,
    );
  }
  return fingerprint;
}

/** Enrol this device. Throws SyncError: BAD_ENROL_URI, ALREADY_ENROLLED, ENROL_REFUSED, FINGERPRINT_MISMATCH, … */
export async function enrol(opts: EnrolOptions): Promise<Enrolment> {
  const code = parseEnrolUri(opts.uri);
  const log = opts.log ?? silentLogger;
  const held = readEnrolment(opts.store);
  if (held && !opts.reenrol) {
    throw new SyncError(
      'ALREADY_ENROLLED',
      `already enrolled as device ${held.deviceId}; re-enrol explicitly to replace it`,
    );
  }
  if (held && opts.store.getBundle() && !sameFingerprint(held.fingerprint, code.fingerprint)) {
    throw new SyncError(
      'ALREADY_ENROLLED',
      'this enrolment code is for another deployment root than the trust data held; start with a new store',
    );
  }
  const clock = opts.clock ?? systemClock;
  const api = new DeviceApi({
    serverUrl: code.serverUrl,
    // Re-enrolling with the same server: the current token goes with the code, so the old record is replaced.
    token: held && held.serverUrl === code.serverUrl ? held.token : null,
    fetch: opts.fetch ?? globalThis.fetch,
    clock,
    timeoutMs: opts.timeoutMs ?? 20_000,
    maxBodyBytes: 1 << 20,
  });
  // The root key first, unauthenticated: a server whose root does not match the code's fingerprint (a wrong URL,
  // a man in the middle, a code of another deployment) is refused before the one-time code is spent.
  const offered = await api.getRoot();
  const fingerprint = checkRoot(offered, code.fingerprint, log);
  const answer = await api.enrol(code.code, opts.name);
  // The enrolment answer must name the same root (it is what the server signs with).
  if (answer.rootPublicKey !== offered) checkRoot(answer.rootPublicKey, code.fingerprint, log);
  const rootPublicKey = decodePublicKey(answer.rootPublicKey);
  writeEnrolment(opts.store, {
    serverUrl: code.serverUrl,
    deviceId: answer.deviceId,
    token: answer.token,
    rootPublicKey: answer.rootPublicKey,
  });
  log.info({ deviceId: answer.deviceId, fingerprint, server: code.serverUrl }, 'device enrolled');
  return { serverUrl: code.serverUrl, deviceId: answer.deviceId, token: answer.token, rootPublicKey, fingerprint };
}
