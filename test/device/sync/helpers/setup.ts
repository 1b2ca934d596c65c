// A sync client on a real store file, a manual clock and the in-process fake API.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rootFingerprint } from '../../../../protocol/index.js';
import { openStore } from '../../../../device/store/index.js';
import type { DeviceStore } from '../../../../device/store/index.js';
import { SyncClient } from '../../../../device/sync/client.js';
import type { SyncOptionsInput } from '../../../../device/sync/options.js';
import { enrol } from '../../../../device/sync/enrolment.js';
import { ManualClock } from '../../../support/clock.js';
import { Deployment, T0_S } from '../../../support/deployment.js';
import { FakeApi, SERVER } from './fake-api.js';
import type { SyncLogger } from '../../../../device/sync/types.js';

export function enrolUri(d: Deployment, code = 'ABCD-EFGH-JKMN', server = SERVER): string {
  return `gatecode-enrol:?u=${encodeURIComponent(server)}&c=${code}&fp=${rootFingerprint(d.root.publicKey)}`;
}

export interface Rig {
  dir: string;
  file: string;
  store: DeviceStore;
  clock: ManualClock;
  deployment: Deployment;
  api: FakeApi;
  client: SyncClient;
  random: { value: number };
  close(): void;
}

export async function makeRig(
  opts: { options?: SyncOptionsInput; enrolled?: boolean; log?: SyncLogger } = {},
): Promise<Rig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-sync-'));
  const file = path.join(dir, 'device.db');
  const clock = new ManualClock(T0_S * 1000);
  const store = openStore(file, { now: () => Math.floor(clock.now() / 1000) });
  const deployment = new Deployment(() => Math.floor(clock.now() / 1000));
  const api = new FakeApi(deployment, () => clock.now());
  if (opts.enrolled !== false) await enrol({ store, uri: enrolUri(deployment), fetch: api.fetch, clock });
  const random = { value: 0.5 };
  const client = new SyncClient(
    { store, fetch: api.fetch, clock, random: () => random.value, ...(opts.log ? { log: opts.log } : {}) },
    opts.options ?? {},
  );
  return {
    dir,
    file,
    store,
    clock,
    deployment,
    api,
    client,
    random,
    close() {
      void client.stop();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Trust data as a comparable value: bundle bytes, sequence, revocation count. */
export function trustSnapshot(store: DeviceStore): {
  bundle: string | null;
  seq: number;
  count: number;
  floor: number;
} {
  const b = store.getBundle();
  return {
    bundle: b ? Buffer.from(b.bytes).toString('base64') : null,
    seq: store.revocationSeq(),
    count: store.revocationInfo().count,
    floor: store.clockFloor(),
  };
}
