// The enclosure tamper alarm as `gatecode device` wires it (device/boot.ts): an enrolled device with inputs.tamper
// on simulated GPIO and a real server on loopback. An opened lid is on the server's alarm list within seconds (the
// forwarder, not the poll), and its clear follows.
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

it('an enrolled device sends tamper to the server at once, and its clear', { timeout: 60_000 }, async () => {
  const store = openStore(path.join(dir, 'data', STORE_FILE));
  await enrol({ store, uri: await env.admin.enrolmentUri(), name: 'boot tamper' });
  store.close();
  const config = parseConfig(
    {
      site: SITE,
      gate: 'n1',
      dataDir: 'data',
      camera: { source: 'sim' },
      hardware: { gpio: 'sim', leds: 'sim' },
      inputs: { tamper: { pin: 26 } },
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
    device.hardware.sim?.gpio?.setInput('tamper', true);
    await expect
      .poll(async () => (await alarms()).find((a) => a.kind === 'tamper'), { timeout: 5000 })
      .toMatchObject({ active: true, deviceName: 'boot tamper' });
    device.hardware.sim?.gpio?.setInput('tamper', false);
    await expect
      .poll(async () => (await alarms()).find((a) => a.kind === 'tamper')?.active, { timeout: 5000 })
      .toBe(false);
  } finally {
    await device.stop();
  }
});
