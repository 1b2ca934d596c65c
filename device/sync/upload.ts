// What leaves the device: event batches reduced to what the policy allows, each with an idempotency key derived
// from the batch's events, so a batch re-sent after a lost answer is a no-op on the server.
// Never uploaded: pass ids, pass texts, claims. Keyed pass hashes only when `uploadPassHashes` is set.
import { createHash } from 'node:crypto';
import { EVENT_REASON, PASS_HASH, type UploadedEvent } from '../../protocol/api/device.js';
import type { UploadableEvent } from './types.js';

export interface UploadPolicy {
  /**
   * Send each event's keyed pass hash (HMAC with this device's secret: stable per pass on this device, useless
   * elsewhere). Off by default: the server then learns colours, reasons and times, nothing per person.
   */
  readonly uploadPassHashes: boolean;
}

/** The wire form of one event: the contract's shape (protocol/api/device.ts), always with `notPassed`, never `id`. */
export type WireEvent = Omit<UploadedEvent, 'id' | 'notPassed'> & { readonly notPassed: boolean };

/** Reduce a stored event to its wire form. Only whitelisted fields are copied; nothing else can leak. */
export function toWireEvent(e: UploadableEvent, policy: UploadPolicy): WireEvent {
  return {
    at: Math.floor(e.at),
    colour: e.colour,
    // Reason codes the server accepts are upper-case words (`denied:REVOKED` is a counter, not a reason).
    reason: EVENT_REASON.test(e.reason) ? e.reason : 'OTHER',
    passHash: policy.uploadPassHashes && e.passHash !== null && PASS_HASH.test(e.passHash) ? e.passHash : null,
    direction: e.direction === 'in' || e.direction === 'out' ? e.direction : null,
    opened: e.opened === true,
    notPassed: e.passed === false,
  };
}

/**
 * The Idempotency-Key of a batch: a hash of the device id and the batch exactly as it goes on the wire (each
 * event's local id and every field sent). The same events in the same state always give the same key, so a replay
 * after a lost answer is recognised; an event sent again after a change (a grant annulled, the upload policy
 * changed) gives a new key instead of a conflict.
 */
export function idempotencyKey(deviceId: string, events: readonly UploadableEvent[], policy: UploadPolicy): string {
  const h = createHash('sha256');
  h.update(`gatecode-events-v1\n${deviceId}\n`);
  for (const e of events) h.update(`${e.id}\t${JSON.stringify(toWireEvent(e, policy))}\n`);
  return 'ev1-' + h.digest('base64url');
}
