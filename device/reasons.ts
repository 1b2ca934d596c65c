// The device's reasons: the protocol's closed union plus the few that only a gate can give. One union, so a
// `switch` over it is exhaustive and the type checker finds every place a new reason must be handled.
import { PROTOCOL_REASONS } from '../protocol/errors.js';
import type { ProtocolReason } from '../protocol/errors.js';

export const DEVICE_ONLY_REASONS = [
  'PASSBACK', // this pass entered here within the anti-passback window and has not exited
  'CLOCK_ROLLBACK', // the clock is below the floor set by the newest signed data: refuse to decide
  'NO_TRUST_DATA', // no trust bundle loaded: nothing can be verified
  'CLOCK_UNTRUSTED', // no NTP, RTC or recent signed time: expiry cannot be judged, green becomes yellow
  'LOCKDOWN', // the gate is locked down and this pass's scope is not one that may pass during a lockdown
  'OUTSIDE_HOURS', // the bundle's opening hours are closed for this pass at this gate now
] as const;

export type DeviceOnlyReason = (typeof DEVICE_ONLY_REASONS)[number];
export type DeviceReason = 'OK' | ProtocolReason | DeviceOnlyReason;

export const DEVICE_REASONS: readonly DeviceReason[] = ['OK', ...PROTOCOL_REASONS, ...DEVICE_ONLY_REASONS];

export function isDeviceReason(value: string): value is DeviceReason {
  return (DEVICE_REASONS as readonly string[]).includes(value);
}

/** Short text for a guard or the person at the gate; never contains pass data. */
export function describeReason(reason: DeviceReason): string {
  switch (reason) {
    case 'OK':
      return 'valid pass';
    case 'TOO_LARGE':
    case 'BAD_PREFIX':
    case 'BAD_ENCODING':
    case 'MALFORMED':
      return 'not a gatecode pass';
    case 'UNSUPPORTED_ALG':
    case 'BAD_CLAIMS':
    case 'BAD_SIGNATURE':
      return 'pass is not genuine';
    case 'UNKNOWN_KEY':
      return 'pass from an unknown issuer key';
    case 'KEY_NOT_VALID':
      return 'issuer key not valid for this pass';
    case 'NOT_YET_VALID':
      return 'pass not valid yet';
    case 'EXPIRED':
      return 'pass expired';
    case 'WRONG_SCOPE':
      return 'pass not valid at this site';
    case 'REVOKED':
      return 'pass revoked';
    case 'BUNDLE_STALE':
      return 'trust data out of date: see staff';
    case 'SUNSET':
      return 'this deployment has ended';
    case 'VERSION_ROLLBACK':
    case 'SEQUENCE_GAP':
    case 'HISTORY_CHANGED':
    case 'PARTITION_STALE':
    case 'PARTITION_MISMATCH':
    case 'PAGE_MISMATCH':
      return 'trust data refused';
    case 'PROOF_MISSING':
      return 'show the pass in its wallet, not a copy';
    case 'PROOF_STALE':
    case 'PROOF_REPLAYED':
      return 'code is not live: show the wallet itself';
    case 'PROOF_FUTURE':
      return 'phone clock is ahead: see staff';
    case 'PROOF_WRONG_PASS':
    case 'PROOF_WRONG_KEY':
    case 'PROOF_UNEXPECTED':
      return 'code does not belong to this pass';
    case 'PASSBACK':
      return 'already entered: exit first';
    case 'CLOCK_ROLLBACK':
      return 'device clock is behind: see staff';
    case 'NO_TRUST_DATA':
      return 'device has no trust data: see staff';
    case 'CLOCK_UNTRUSTED':
      return 'device clock not confirmed: see staff';
    case 'LOCKDOWN':
      return 'lockdown: no entry';
    case 'OUTSIDE_HOURS':
      return 'closed now: outside opening hours';
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}
