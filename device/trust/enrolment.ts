// The enrolment the store holds: device id, bearer token, server URL and the pinned deployment root key
// (STATE_KEYS). Owned here, beside the trust data the root key verifies; device/sync/enrolment.ts obtains an
// enrolment over HTTP and records it with writeEnrolment.
import { decodePublicKey, rootFingerprint } from '../../protocol/index.js';
import { STATE_KEYS } from '../store/types.js';
import type { TrustStore } from './types.js';

export interface Enrolment {
  readonly serverUrl: string;
  readonly deviceId: string;
  readonly token: string;
  /** The pinned root public key, raw 32 bytes. */
  readonly rootPublicKey: Uint8Array;
  /** Its fingerprint, as `rootFingerprint` prints it. */
  readonly fingerprint: string;
}

/** The enrolment the store holds, or null when any part is missing or the pinned key does not decode. */
export function readEnrolment(store: Pick<TrustStore, 'getState'>): Enrolment | null {
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

/** Record an enrolment (root key as base64url). The token goes last, so an interrupted write reads as "not enrolled". */
export function writeEnrolment(
  store: Pick<TrustStore, 'setState'>,
  e: { readonly serverUrl: string; readonly deviceId: string; readonly token: string; readonly rootPublicKey: string },
): void {
  store.setState(STATE_KEYS.deviceToken, null);
  store.setState(STATE_KEYS.serverUrl, e.serverUrl);
  store.setState(STATE_KEYS.rootPublicKey, e.rootPublicKey);
  store.setState(STATE_KEYS.deviceId, e.deviceId);
  store.setState(STATE_KEYS.deviceToken, e.token);
}

/**
 * Replace the device token after a token roll (device/sync/token-roll.ts). One state row, so one write: a crash
 * leaves the old token or the new one, and the server accepts either until the new one has been used.
 */
export function writeDeviceToken(store: Pick<TrustStore, 'setState'>, token: string): void {
  store.setState(STATE_KEYS.deviceToken, token);
}
