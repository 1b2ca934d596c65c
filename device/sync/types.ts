// What the sync client needs from its surroundings, as small structural interfaces: the part of the device store
// it uses, the fetch it calls and the logger. Time comes from the device's injected Clock (device/clock.ts).
import type { Colour, RevocationDelta, TrustBundle } from '../../protocol/types.js';

/** The subset of the device store (device/store) the sync client uses. */
export interface SyncStore {
  getBundle(): { bytes: Uint8Array; bundle: TrustBundle; receivedAt: number } | null;
  putBundle(bytes: Uint8Array, bundle: TrustBundle, receivedAt: number): void;
  revocationSeq(): number;
  /** The held list's signed issue time (null before the first list); used for the signed data age. */
  revocationInfo(): { readonly issuedAt: number | null; readonly logId: string | null };
  applyRevocations(delta: RevocationDelta, receivedAt: number): void;
  getState(key: string): string | null;
  setState(key: string, value: string | null): void;
  raiseClockFloor(t: number): number;
  clockFloor(): number;
  pendingEvents(limit: number): readonly UploadableEvent[];
  markUploaded(ids: readonly number[]): void;
  bump(counter: string, by?: number): void;
  counters(): Record<string, number>;
}

/** The fields of a stored event the uploader reads; anything else the store keeps is ignored. */
export interface UploadableEvent {
  readonly id: number;
  readonly at: number;
  readonly colour: Colour;
  readonly reason: string;
  readonly passHash: string | null;
  readonly direction: 'in' | 'out' | null;
  readonly opened: boolean;
  /** False when a grant was annulled (no passage); absent where the store does not track it. */
  readonly passed?: boolean | null;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** The pino-compatible subset the sync client logs through. */
export interface SyncLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLogger: SyncLogger = { info() {}, warn() {}, error() {}, debug() {} };
