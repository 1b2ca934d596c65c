// What the sync client needs from its surroundings, as small structural interfaces: the part of the device store
// it uses, the fetch it calls and the logger. Time comes from the device's injected Clock (device/clock.ts); trust
// data goes through the TrustKeeper (device/trust/keeper.ts), the one writer.
import type { Colour } from '../../protocol/types.js';
import type { TrustLogger, TrustStore } from '../trust/types.js';

/** The subset of the device store (device/store) the sync client uses: the trust part plus the event queue. */
export interface SyncStore extends TrustStore {
  pendingEvents(limit: number): readonly UploadableEvent[];
  markUploaded(ids: readonly number[]): void;
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
export type SyncLogger = TrustLogger;

export { silentLogger } from '../trust/types.js';
