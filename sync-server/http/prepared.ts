// Answers whose headers are prepared once per artefact, for the polling path. A header set with `c.header()` makes
// Hono build a fetch `Headers` object per request, which the node adapter then copies back into a plain object:
// on a not-modified poll that was a large part of the server's own cost (docs/performance.md). A Response built
// here with a plain header record goes to the socket as it is.
import type { Context } from 'hono';
import type { z } from 'zod';
import { param, type AppContext } from './env.js';

export type HeaderRecord = Readonly<Record<string, string>>;

/**
 * Headers derived from `key` (an artefact, or a string naming one), rebuilt only when the key changes: a poll
 * that finds the same artefact as the poll before gets the very same record.
 */
export function preparedHeaders<K>(build: (key: K) => HeaderRecord): (key: K) => HeaderRecord {
  let last: { key: K; headers: HeaderRecord } | null = null;
  return (key) => {
    if (last === null || last.key !== key) last = { key, headers: build(key) };
    return last.headers;
  };
}

/**
 * A bodyless answer (304) with `headers`. The device auth middleware adds the token-roll header with
 * `c.header()` while a roll waits for the gate; that rare answer takes Hono's own path so the header is kept.
 */
export function bodylessAnswer(c: AppContext, status: 304, headers: HeaderRecord): Response {
  if (c.get('tokenRollPending')) {
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    return c.body(null, status);
  }
  return new Response(null, { status, headers });
}

/**
 * Query parameters validated by `schema` (as `param` does), remembering the last query string and its result:
 * gates in step poll with the same query (`since=<current>&log=<history>`), so most polls skip the parse. The
 * same text always parses to the same value; the result is frozen, as it is shared.
 */
export function memoQuery<S extends z.ZodType<object>>(schema: S): (c: Context) => Readonly<z.infer<S>> {
  let last: { raw: string; value: Readonly<z.infer<S>> } | null = null;
  return (c) => {
    const url = c.req.url;
    const at = url.indexOf('?');
    const raw = at < 0 ? '' : url.slice(at + 1);
    if (last !== null && last.raw === raw) return last.value;
    const value = Object.freeze(param(c.req.query(), schema));
    last = { raw, value };
    return value;
  };
}
