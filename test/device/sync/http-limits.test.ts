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

describe('partition fetches', () => {
  /** Fails the first `failures` requests as a closed connection does (fetch rejects), then answers `bytes`. */
  function flaky(failures: number, bytes: Uint8Array): { fetch: FetchLike; calls: () => number } {
    let calls = 0;
    const fetch: FetchLike = () => {
      calls++;
      if (calls <= failures)
        return Promise.reject(new TypeError('fetch failed', { cause: new Error('other side closed') }));
      return Promise.resolve(
        new Response(bytes, { status: 200, headers: { 'content-type': 'application/cose; cose-type="cose-sign1"' } }),
      );
    };
    return { fetch, calls: () => calls };
  }

  it('asks once more when the connection failed, and gives up (NETWORK) when the second try fails too', async () => {
    const body = new Uint8Array([1, 2, 3]);
    const once = flaky(1, body);
    expect(Buffer.from(await api(once.fetch).getPartition(7))).toEqual(Buffer.from(body));
    expect(once.calls()).toBe(2);

    const twice = flaky(2, body);
    const err = await api(twice.fetch)
      .getPartition(7)
      .catch((e: unknown) => e);
    expect(isSyncError(err) && err.code).toBe('NETWORK');
    expect(twice.calls()).toBe(2);
  });
});
