// The poll loop on a manual clock: jittered interval while the server answers, exponential backoff with a cap
// while it does not, recovery without a restart, and a time limit on every exchange.
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../device/store/index.js';
import { makeRig } from './helpers/setup.js';
import type { Rig } from './helpers/setup.js';

let rig: Rig;
afterEach(() => rig.close());

/** Fire the next due cycle and wait for it; returns the delay the loop chose after it. */
async function tick(r: Rig): Promise<number> {
  const due = r.client.status().nextPollAt!;
  r.clock.advance(Math.max(0, due - r.clock.now()));
  await r.client.idle();
  return r.client.status().nextPollAt! - r.clock.now();
}

describe('poll loop', () => {
  it('polls on the jittered interval while the server answers', async () => {
    rig = await makeRig();
    rig.client.start();
    expect(rig.client.status().nextPollAt).toBe(rig.clock.now()); // first cycle at once
    expect(await tick(rig)).toBe(30_000);
    rig.random.value = 0;
    expect(await tick(rig)).toBe(24_000);
    rig.random.value = 0.999_999;
    expect(await tick(rig)).toBe(36_000);
    expect(rig.api.count(/bundle/)).toBe(3);
  });

  it('backs off exponentially up to the cap while the network is down, then recovers by itself', async () => {
    rig = await makeRig();
    rig.random.value = 0; // the un-jittered ceiling
    rig.client.start();
    await tick(rig);
    rig.api.fault(/bundle/, { kind: 'network' }, 100);
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) delays.push(await tick(rig));
    expect(delays).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]);
    expect(rig.client.status()).toMatchObject({ online: false, lastError: 'NETWORK', consecutiveFailures: 10 });
    rig.api.clearFaults();
    rig.deployment.revoke(1);
    expect(await tick(rig)).toBe(24_000);
    expect(rig.client.status()).toMatchObject({
      online: true,
      lastError: null,
      consecutiveFailures: 0,
      revocationSeq: 1,
    });
  });

  it('keeps the backoff within (1 − jitter) of the ceiling', async () => {
    rig = await makeRig({ options: { jitter: 0.5, backoffBaseSeconds: 10, backoffMaxSeconds: 60 } });
    rig.random.value = 0.999_999;
    rig.client.start();
    rig.api.fault(/bundle/, { kind: 'status', status: 503 }, 100);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) delays.push(await tick(rig));
    expect(delays).toEqual([5_000, 10_000, 20_000, 30_000, 30_000]);
    expect(rig.client.status().lastError).toBe('HTTP_STATUS');
  });

  it('waits at least as long as the server asks with Retry-After, within the cap', async () => {
    rig = await makeRig({ options: { backoffMaxSeconds: 120 } });
    rig.random.value = 0;
    rig.client.start();
    rig.api.fault(/bundle/, { kind: 'status', status: 429, retryAfter: 45 });
    expect(await tick(rig)).toBe(45_000);
    rig.api.fault(/bundle/, { kind: 'status', status: 429, retryAfter: 9999 });
    expect(await tick(rig)).toBe(120_000);
    expect(await tick(rig)).toBe(24_000);
  });

  it('retries once at once when a kept-alive connection was closed under it, and only once', async () => {
    rig = await makeRig();
    rig.api.fault(/bundle/, { kind: 'network' });
    expect((await rig.client.syncNow()).ok).toBe(true);
    expect(rig.api.count(/bundle/)).toBe(2);
    rig.api.fault(/bundle/, { kind: 'network' }, 2);
    expect((await rig.client.syncNow()).error?.code).toBe('NETWORK');
    expect(rig.api.count(/bundle/)).toBe(4);
  });

  it('gives up on a stalled exchange after the time limit and counts it as a failure', async () => {
    rig = await makeRig({ options: { requestTimeoutSeconds: 5 } });
    rig.api.fault(/bundle/, { kind: 'stall' });
    const p = rig.client.syncNow();
    rig.clock.advance(4_999);
    await Promise.resolve();
    rig.clock.advance(1);
    const r = await p;
    expect(r.error?.code).toBe('NETWORK');
    expect(r.error?.message).toContain('timed out');
    expect(rig.client.status().online).toBe(false);
  });

  it('survives a failing store: the cycle fails with STORE, the loop backs off, nothing is thrown', async () => {
    rig = await makeRig();
    rig.random.value = 0;
    rig.client.start();
    await tick(rig);
    rig.store.close();
    expect(await tick(rig)).toBe(2_000);
    expect(rig.client.status()).toMatchObject({ online: false, lastError: 'STORE', consecutiveFailures: 1 });
    await rig.client.stop();
    rig.store = openStore(rig.file); // so that close() in afterEach has an open store to close
  });

  it('stops cleanly and joins a cycle in progress instead of starting a second one', async () => {
    rig = await makeRig();
    rig.client.start();
    rig.clock.advance(0);
    const again = rig.client.syncNow();
    await again;
    expect(rig.api.count(/bundle/)).toBe(1);
    await rig.client.stop();
    expect(rig.client.status().nextPollAt).toBeNull();
    expect(rig.clock.pendingTimers).toBe(0);
    rig.clock.advance(3_600_000);
    expect(rig.api.count(/bundle/)).toBe(1);
  });
});
