// The device store: one SQLite file with the trust data, the revocation list, the anti-passback window, a short
// event window and the counters. See docs/device-config.md for its privacy and retention behaviour.
export { openStore, STORE_DEFAULTS } from './open.js';
export { StoreError, isStoreError, STORE_ERROR_CODES } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { STATE_KEYS } from './types.js';
export { ALARM_OUTBOX_MAX } from './alarm-outbox.js';
export { PURGE_SLICES } from './revocations.js';
export type {
  AlarmOutboxEntry,
  DeviceStore,
  Direction,
  EventInput,
  PurgeResult,
  RevocationInfo,
  StateKey,
  StoreDiagnostics,
  StoredBundle,
  StoredEvent,
  StoreOptions,
} from './types.js';
