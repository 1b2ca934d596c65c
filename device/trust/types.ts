// What the trust module needs from the device store and the logger, and the one SyncState the runtime, the status
// page and the sync client share. Small structural interfaces, so the sync client's test doubles and the real
// SQLite store both fit.
import type { RevocationDelta, TrustBundle } from '../../protocol/types.js';
import type { RevocationStage, StageTarget } from '../store/types.js';

/** The part of the device store (device/store) that holds trust data. */
export interface TrustStore {
  getBundle(): { bytes: Uint8Array; bundle: TrustBundle; receivedAt: number } | null;
  putBundle(bytes: Uint8Array, bundle: TrustBundle, receivedAt: number): void;
  revocationSeq(): number;
  /** The held list's signed issue time (null before the first list); used for the signed data age. */
  revocationInfo(): { readonly issuedAt: number | null; readonly logId: string | null };
  applyRevocations(delta: RevocationDelta, receivedAt: number): void;
  /** A staged revocation update (device/store DeviceStore.beginRevocationStage). */
  beginRevocationStage(target: StageTarget): RevocationStage;
  /** Undo a staged update a crash left pending (DeviceStore.recoverRevocationStage). */
  recoverRevocationStage(): boolean;
  getState(key: string): string | null;
  setState(key: string, value: string | null): void;
  raiseClockFloor(t: number): number;
  clockFloor(): number;
  bump(counter: string, by?: number): void;
  /** Run `fn` in one store transaction (nested calls become savepoints): all of it is kept, or none. */
  transaction<T>(fn: () => T): T;
  /** The sunset wipe (see DeviceStore.wipe). */
  wipe(): void;
}

/** The pino-compatible subset the trust and sync modules log through. */
export interface TrustLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLogger: TrustLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** The held trust data in figures (from the TrustKeeper's cache; nobody else computes them). */
export interface TrustFigures {
  /**
   * When the held data is known current, from signed data only (a freshness statement naming the held data, else
   * the signed issue times): the data's age counts from here. A 304 or a heartbeat never moves it.
   */
  readonly trustDataAt: number | null;
  readonly bundleVersion: number | null;
  readonly revocationSeq: number | null;
  readonly sunset: number | null;
  readonly maxOfflineAgeSeconds: number | null;
}

/** What the sync client reports about its work (kept by the TrustKeeper). Times are epoch seconds. */
export interface SyncActivity {
  readonly enrolled: boolean;
  readonly deviceId: string | null;
  /** The last cycle reached the server and the token was accepted. */
  readonly online: boolean;
  /** Last cycle that reached the server and verified everything it got (informational: unsigned answers count). */
  readonly lastSyncAt: number | null;
  readonly lastAttemptAt: number | null;
  /** Server clock minus local clock, seconds (from the heartbeat, else the Date header). */
  readonly clockDriftSeconds: number | null;
  /** A SyncReason, or `REJECTED:<ProtocolReason>` for a refused artefact; null after a clean cycle. */
  readonly lastError: string | null;
  readonly consecutiveFailures: number;
  /** When the next cycle is due, epoch ms; null when the loop is not running. */
  readonly nextPollAt: number | null;
}

/** The one sync state: the sync client's activity with the figures of the trust data it brought. */
export type SyncState = SyncActivity & TrustFigures;
