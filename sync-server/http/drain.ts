// A refusal written before the request body was read (rate limit, bad token) must reach a client that is still
// sending: answering and then dropping the connection with unread bytes resets it, and the client loses the
// answer and its Retry-After. So the rest of the body is read and discarded first, up to the body limit and a
// time limit; then the connection stays usable. A body beyond either limit gets the answer with
// `Connection: close` (the client must not send another request on it).
import type { Context } from 'hono';

const DRAIN_MS = 5000;

/** True when the request's body has been read to its end (or there is none) within `limit` bytes. */
export async function discardBody(c: Context, limit: number): Promise<boolean> {
  const req = c.req.raw;
  if (req.method === 'GET' || req.method === 'HEAD' || req.body === null || req.bodyUsed) return true;
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) return false;
  const reader = req.body.getReader();
  let total = 0;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), DRAIN_MS);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout') return false;
      if (next.done) return true;
      total += next.value.byteLength;
      if (total > limit) return false;
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => undefined);
  }
}
