// The device reads only a bounded amount of any answer: an error body from a hostile or broken server is cut off
// after a few KiB instead of being buffered whole (a Pi has little memory), and the reason code still comes through.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.js';
import { isSyncError } from '../../../device/sync/errors.js';
import { DeviceApi } from '../../../device/sync/http.js';
import type { FetchLike } from '../../../device/sync/types.js';

/** A 500 answer whose body is an endless run of 64 KiB chunks; counts how many were pulled. */
function endlessErrorBody(): { fetch: FetchLike; pulled: () => number } {
  let pulled = 0;
  const fetch: FetchLike = () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 1024)
          controller.close(); // 64 MiB: a guard so that a broken reader still ends
        else controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    return Promise.resolve(new Response(body, { status: 500, headers: { 'content-type': 'application/json' } }));
  };
  return { fetch, pulled: () => pulled };
}

function api(fetch: FetchLike): DeviceApi {
  return new DeviceApi({
    serverUrl: 'http://gate.invalid',
    token: 'dev.0123456789abcdef.' + 'A'.repeat(43),
    fetch,
    clock: systemClock,
    timeoutMs: 20_000,
    maxBodyBytes: 1 << 20,
  });
}

describe('device HTTP answers', () => {
  it('stops reading an error body after a few KiB', async () => {
    const server = endlessErrorBody();
    const err = await api(server.fetch)
      .getBundle(null)
      .catch((e: unknown) => e);
    expect(isSyncError(err) && err.code).toBe('HTTP_STATUS');
    expect(server.pulled()).toBeLessThan(8);
  });

  it('still reports the reason code of a small error body', async () => {
    const fetch: FetchLike = () =>
      Promise.resolve(
        new Response(JSON.stringify({ error: 'DEVICE_REVOKED' }), {
          status: 401,
          headers: { 'content-type': 'application/json' },
        }),
      );
    const err = await api(fetch)
      .getBundle(null)
      .catch((e: unknown) => e);
    expect(isSyncError(err) && err.code).toBe('UNAUTHORIZED');
    expect((err as Error).message).toContain('DEVICE_REVOKED');
  });
});
