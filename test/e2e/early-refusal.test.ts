// A server that refuses an event upload before reading its body (here the per-token rate limit, checked before
// the body) must still get its answer, with Retry-After, to a device that is still sending a large body; and the
// device's next try must come no sooner than Retry-After. Real server on loopback, real device store, the device's
// own sync loop (its timers on a manual clock, so the test reads the next poll time instead of waiting).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, describe } from 'vitest';
import { openStore, type DeviceStore } from '../../device/store/index.js';
import { SyncClient } from '../../device/sync/client.js';
import { enrol } from '../../device/sync/enrolment.js';
import { parseConfig } from '../../sync-server/config.js';
import { startServer, type RunningServer } from '../../sync-server/server.js';
import { ManualClock } from '../support/clock.js';

const BATCH = 1000; // the device's largest batch: with keyed pass hashes of 128 hex digits, about 250 kB
let dir: string;
let server: RunningServer;
let store: DeviceStore;
const serverClock = new ManualClock(Date.now());
const deviceClock = new ManualClock(Date.now());

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatecode-early-'));
  server = await startServer(
    parseConfig({
      dataDir: path.join(dir, 'server'),
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      bodyLimitBytes: 4 << 20,
      events: { maxBatch: BATCH },
      // Three requests per token, then one every 100 s: a cycle's three GETs pass and its upload is refused.
      rateLimit: { perAddress: { ratePerSecond: 1000, burst: 10_000 }, perToken: { ratePerSecond: 0.01, burst: 3 } },
    }),
    { clock: serverClock },
  );
  const adminToken = fs.readFileSync(server.tokenFile, 'utf8').trim();
  const res = await fetch(`${server.url}/api/admin/enrolments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: '{"ttlSeconds":600}',
  });
  const { enrolmentUri } = (await res.json()) as { enrolmentUri: string };
  store = openStore(path.join(dir, 'device', 'device.db'));
  await enrol({ store, uri: enrolmentUri });
  const at = Math.floor(Date.now() / 1000);
  for (let i = 0; i < BATCH; i++)
    store.addEvent({ at, colour: 'green', reason: 'OK', passHash: 'ab'.repeat(64), direction: 'in', opened: true });
});

afterAll(async () => {
  store?.close();
  await server?.close(100);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('an upload refused before its body is read', () => {
  it("reaches the device with Retry-After, and the device's next try waits for it, cycle after cycle", async () => {
    const client = new SyncClient(
      { store, clock: deviceClock, random: () => 0 },
      { eventBatchSize: BATCH, uploadPassHashes: true, backoffBaseSeconds: 2, backoffMaxSeconds: 300, jitter: 0 },
    );
    const states: string[] = [];
    client.subscribe({ syncState: (s) => states.push(String(s.lastError)) });
    client.start();
    try {
      for (let round = 0; round < 15; round++) {
        serverClock.jumpSeconds(400); // the token bucket refills: three GETs pass, the upload is refused
        const before = deviceClock.now();
        deviceClock.advance(Math.max(0, (client.status().nextPollAt ?? before) - before));
        await client.idle();
        const s = client.status();
        // Refused with 429 (not a reset connection), so the loop waits at least the server's 100 s.
        expect(s.lastError).toBe('HTTP_STATUS');
        expect(s.nextPollAt! - deviceClock.now()).toBeGreaterThanOrEqual(99_000);
      }
      expect(store.pendingEvents(1)).toHaveLength(1); // kept for a later upload
    } finally {
      await client.stop();
    }
    expect(states).not.toContain('NETWORK');
  });
});
