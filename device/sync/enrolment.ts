// Enrolment: trade a one-time code for a device id and token, pin the deployment root key after checking it
// against the fingerprint in the enrolment code, and keep them in the store's state (STATE_KEYS). Write-once: a
// second enrolment needs `reenrol: true`, and never switches the pinned root under trust data signed by another.
import { decodePublicKey, rootFingerprint } from '../../protocol/index.js';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { STATE_KEYS } from '../store/types.js';
import { parseEnrolUri, sameFingerprint } from './enrol-uri.js';
import { SyncError } from './errors.js';
import { DeviceApi } from './http.js';
import { silentLogger } from './types.js';
import type { FetchLike, SyncLogger, SyncStore } from './types.js';

export interface Enrolment {
  readonly serverUrl: string;
  readonly deviceId: string;
  readonly token: string;
  /** The pinned root public key, raw 32 bytes. */
  readonly rootPublicKey: Uint8Array;
  /** Its fingerprint, as `rootFingerprint` prints it. */
  readonly fingerprint: string;
}

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

/** The enrolment the store holds, or null when any part is missing or the pinned key does not decode. */
export function readEnrolment(store: Pick<SyncStore, 'getState'>): Enrolment | null {
  const serverUrl = store.getState(STATE_KEYS.serverUrl);
  const deviceId = store.getState(STATE_KEYS.deviceId);
  const token = store.getState(STATE_KEYS.deviceToken);
  const root = store.getState(STATE_KEYS.rootPublicKey);
  if (!serverUrl || !deviceId || !token || !root) return null;
  let rootPublicKey: Uint8Array;
  try {
    rootPublicKey = decodePublicKey(root);
  } catch {
    return null;
  }
  return { serverUrl, deviceId, token, rootPublicKey, fingerprint: rootFingerprint(rootPublicKey) };
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
    token: null,
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
  // The token goes last: readEnrolment needs every part, so an interrupted write reads as "not enrolled".
  opts.store.setState(STATE_KEYS.deviceToken, null);
  opts.store.setState(STATE_KEYS.serverUrl, code.serverUrl);
  opts.store.setState(STATE_KEYS.rootPublicKey, answer.rootPublicKey);
  opts.store.setState(STATE_KEYS.deviceId, answer.deviceId);
  opts.store.setState(STATE_KEYS.deviceToken, answer.token);
  log.info({ deviceId: answer.deviceId, fingerprint, server: code.serverUrl }, 'device enrolled');
  return { serverUrl: code.serverUrl, deviceId: answer.deviceId, token: answer.token, rootPublicKey, fingerprint };
}
