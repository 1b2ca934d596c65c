// One folder of static files served under a mount (/admin/, /wallet/): files by name from that folder only (no
// `..`, no dot-files, only the listed types), each with the page's security headers. `/mount` redirects to
// `/mount/` so relative asset links resolve; anything else is a 404 through HttpError.
import fs from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { HttpError } from './errors.js';
import type { AppEnv } from './env.js';

export interface StaticFolder {
  /** The folder whose files are served. */
  readonly dir: string;
  /** Where the routes are mounted, e.g. `/admin`. */
  readonly mount: string;
  /** Content types by lower-case extension; a file of any other type is not served. */
  readonly types: Readonly<Record<string, string>>;
  /** Sent with every file (the page's CSP and the rest). */
  readonly headers: Readonly<Record<string, string>>;
  /** Files served from outside the folder, by their name under the mount (a vendored module). */
  readonly extraFiles?: Readonly<Record<string, string>>;
  /** More headers for one file, by its name under the mount. */
  readonly headersFor?: (rel: string) => Readonly<Record<string, string>>;
}

export function staticFolderRoutes(folder: StaticFolder): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const root = path.resolve(folder.dir);
  const prefix = new RegExp(`^${folder.mount.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/?`);
  app.get('/', (c) => c.redirect(`${folder.mount}/`, 308));
  app.get('/*', (c) => {
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(c.req.url).pathname.replace(prefix, '')) || 'index.html';
    } catch {
      throw new HttpError('NOT_FOUND'); // malformed percent-encoding
    }
    const extra = Object.hasOwn(folder.extraFiles ?? {}, rel) ? folder.extraFiles?.[rel] : undefined;
    const file = extra ?? path.resolve(root, rel);
    if (extra === undefined && (!file.startsWith(root + path.sep) || rel.split('/').some((p) => p.startsWith('.'))))
      throw new HttpError('NOT_FOUND');
    const type = folder.types[path.extname(file).toLowerCase()];
    if (!type) throw new HttpError('NOT_FOUND');
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      throw new HttpError('NOT_FOUND');
    }
    return c.body(new Uint8Array(data), 200, {
      'Content-Type': type,
      ...folder.headers,
      ...(folder.headersFor?.(rel) ?? {}),
    });
  });
  return app;
}
