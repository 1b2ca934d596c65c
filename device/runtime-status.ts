// What the runtime shows on the status page (device/status/hub.ts): the gate's identity and its inputs at start,
// and once a second the counters, the camera's and the sync client's state. Pure: the runtime hands the update to
// the hub.
import type { CameraSource } from '../hardware/camera/types.js';
import type { GpioPorts } from '../hardware/gpio/types.js';
import type { GatePlace } from './decide.js';
import type { DeviceStatus, StatusUpdate } from './status/hub.js';
import type { DeviceStore } from './store/types.js';
import type { TrustKeeper } from './trust/keeper.js';

/** The gate's identity and the inputs as they stand when the runtime starts. */
export function identityUpdate(
  place: GatePlace & { readonly gate: string },
  version: string | null,
  inputs: GpioPorts['inputs'],
): StatusUpdate {
  return {
    identity: { site: place.site, gate: place.gate, direction: place.direction, version },
    inputs: {
      door: inputs.door?.active ?? null,
      exit: inputs.exit?.active ?? null,
      rotation: inputs.rotation?.active ?? null,
      fire: inputs.fire?.active ?? null,
      lockdown: inputs.lockdown?.active ?? null,
      tamper: inputs.tamper?.active ?? null,
    },
  };
}

/** The once-a-second update: the alarm list, the counters, the camera and the sync state. */
export function tickUpdate(
  alarms: string[],
  parts: {
    readonly store: Pick<DeviceStore, 'counters'>;
    readonly camera: Pick<CameraSource, 'stats'>;
    readonly trust: Pick<TrustKeeper, 'syncState'>;
  },
  /** Where the trusted time comes from (device/time/trusted.ts); null without a time check. */
  clockSource: DeviceStatus['sync']['clockSource'],
): StatusUpdate {
  const sync = parts.trust.syncState();
  const counters = parts.store.counters();
  const cam = parts.camera.stats();
  return {
    alarms,
    counters,
    occupancy: counters['occupancy'] ?? null,
    camera: { delivered: cam.delivered, dropped: cam.dropped, restarts: cam.restarts },
    sync: {
      lastSyncAt: sync.lastSyncAt,
      trustDataAt: sync.trustDataAt,
      revocationSeq: sync.revocationSeq,
      bundleVersion: sync.bundleVersion,
      sunset: sync.sunset,
      maxOfflineAgeSeconds: sync.maxOfflineAgeSeconds,
      online: sync.online,
      clockDriftSeconds: sync.clockDriftSeconds,
      clockSource,
      lastError: sync.lastError,
    },
  };
}
