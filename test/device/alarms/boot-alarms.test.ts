// The alarm forwarder as `gatecode device` wires it (device/boot.ts): an enrolled device, simulated GPIO and a
// real server on loopback. A forced door, and an opened enclosure lid (inputs.tamper), are on the server's alarm
// list within seconds (the forwarder, not the poll), and their clears follow.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDevice, STORE_FILE } from '../../../device/boot.js';
import { parseConfig } from '../../../device/config.js';
import { openStore } from '../../../device/store/index.js';
import { enrol } from '../../../device/sync/enrolment.js';
import { SITE } from '../../support/deployment.js';
import { silentLog } from '../../support/log.js';
import { startRealServer } from '../../support/real-server.js';

let env: Awaited<ReturnType<typeof startRealServer>>;
let dir = '';
beforeAll(async () => {
  env = await startRealServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-'));
});
afterAll(async () => {
  await env?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const CASES = [
  { input: 'door', pin: 27, kind: 'door-forced', name: 'boot door' },
  { input: 'tamper', pin: 26, kind: 'tamper', name: 'boot tamper' },
] as const;

it.each(CASES)(
  'an enrolled device sends $kind to the server at once, and its clear',
  { timeout: 60_000 },
  async (c) => {
    const dataDir = `data-${c.input}`;
    const store = openStore(path.join(dir, dataDir, STORE_FILE));
    await enrol({ store, uri: await env.admin.enrolmentUri(), name: c.name });
    store.close();
    const config = parseConfig(
      {
        site: SITE,
        gate: 'n1',
        dataDir,
        camera: { source: 'sim' },
        hardware: { gpio: 'sim', leds: 'sim' },
        inputs: { [c.input]: { pin: c.pin } },
        decoder: { worker: false },
        // The poll is far away: only the forwarder can bring the alarm within the test's time.
        sync: { pollIntervalSeconds: 600, jitter: 0 },
      },
      { baseDir: dir },
    );
    const device = await startDevice(config, { log: silentLog() });
    type Alarm = { kind: string; active: boolean; deviceName: string };
    const alarms = async () =>
      (await env.admin.call<{ alarms: Alarm[] }>('GET', '/api/admin/alarms?status=all')).body.alarms;
    try {
      await device.sync?.idle();
      device.hardware.sim?.gpio?.setInput(c.input, true);
      await expect
        .poll(async () => (await alarms()).find((a) => a.kind === c.kind), { timeout: 5000 })
        .toMatchObject({ active: true, deviceName: c.name });
      device.hardware.sim?.gpio?.setInput(c.input, false);
      await expect
        .poll(async () => (await alarms()).find((a) => a.kind === c.kind)?.active, { timeout: 5000 })
        .toBe(false);
    } finally {
      await device.stop();
    }
  },
);
