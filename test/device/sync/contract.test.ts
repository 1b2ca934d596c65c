// The device API contract from both sides: whatever the device's uploader makes of a stored event is an event the
// server's schema accepts, and the device's answer readers take what the server sends (and ignore what it adds).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  enrolAnswerReader,
  enrolAnswerSchema,
  eventBatchSchema,
  heartbeatAnswerReader,
  heartbeatRequestSchema,
  idempotencyKeySchema,
  uploadedEventSchema,
} from '../../../protocol/api/device.js';
import { COLOURS } from '../../../protocol/index.js';
import { idempotencyKey, toWireEvent } from '../../../device/sync/upload.js';
import type { UploadableEvent } from '../../../device/sync/types.js';

const storedEvent: fc.Arbitrary<UploadableEvent> = fc.record({
  id: fc.nat(),
  at: fc.double({ min: 0, max: 4e9, noNaN: true }),
  colour: fc.constantFrom(...COLOURS),
  reason: fc.oneof(fc.constantFrom('OK', 'REVOKED', 'BUNDLE_STALE', 'denied:REVOKED', ''), fc.string()),
  passHash: fc.oneof(fc.constant(null), fc.stringMatching(/^[0-9a-f]{32}$/), fc.string()),
  direction: fc.constantFrom('in' as const, 'out' as const, null),
  opened: fc.boolean(),
  passed: fc.constantFrom(true, false, null, undefined),
});

describe('device API contract', () => {
  it('every event the uploader makes passes the server schema, with or without pass hashes', () => {
    fc.assert(
      fc.property(fc.array(storedEvent, { maxLength: 20 }), fc.boolean(), (events, uploadPassHashes) => {
        const wire = events.map((e) => toWireEvent(e, { uploadPassHashes }));
        expect(eventBatchSchema(100).safeParse({ events: wire }).success).toBe(true);
        expect(
          idempotencyKeySchema.safeParse(idempotencyKey('0011223344556677', events, { uploadPassHashes })).success,
        ).toBe(true);
      }),
    );
  });

  it('refuses a pass id or any field it does not name', () => {
    const ok = toWireEvent(
      { id: 1, at: 1, colour: 'green', reason: 'OK', passHash: null, direction: null, opened: true },
      { uploadPassHashes: false },
    );
    expect(uploadedEventSchema.safeParse(ok).success).toBe(true);
    expect(uploadedEventSchema.safeParse({ ...ok, passId: 'abc' }).success).toBe(false);
    expect(heartbeatRequestSchema.safeParse({ versions: {}, seq: 0, clock: 1, counters: {}, extra: 1 }).success).toBe(
      false,
    );
  });

  it('reads the answers it needs and ignores fields a newer server adds', () => {
    const answer = { deviceId: 'd1', token: 't', rootPublicKey: 'k', rootFingerprint: 'f' };
    expect(enrolAnswerSchema.parse(answer)).toEqual(answer);
    expect(enrolAnswerReader.parse({ ...answer, addedLater: true })).toEqual({
      deviceId: 'd1',
      token: 't',
      rootPublicKey: 'k',
    });
    expect(enrolAnswerReader.safeParse({ ...answer, token: '' }).success).toBe(false);
    expect(heartbeatAnswerReader.parse({})).toEqual({});
    expect(heartbeatAnswerReader.parse({ serverTime: 1.5, bundleVersion: 3, more: 'x' })).toEqual({ serverTime: 1.5 });
  });
});
