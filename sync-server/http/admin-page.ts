// GET /admin: the admin page (static files in sync-server/admin-page/, written by the pages engineer).
// /admin redirects to /admin/ so relative asset links resolve; files are served by name from that one folder,
// never outside it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { HttpError } from './errors.js';
import type { AppEnv } from './env.js';

export const ADMIN_PAGE_DIR = fileURLToPath(new URL('../admin-page/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-cache',
};

export function adminPageRoutes(dir: string = ADMIN_PAGE_DIR): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const root = path.resolve(dir);

  app.get('/', (c) => c.redirect('/admin/', 308));

  app.get('/*', (c) => {
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(c.req.url).pathname.replace(/^\/admin\/?/, '')) || 'index.html';
    } catch {
      throw new HttpError('NOT_FOUND'); // malformed percent-encoding
    }
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep) || rel.split('/').some((p) => p.startsWith('.')))
      throw new HttpError('NOT_FOUND');
    const type = TYPES[path.extname(file).toLowerCase()];
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      throw new HttpError('NOT_FOUND');
    }
    if (!type) throw new HttpError('NOT_FOUND');
    return c.body(new Uint8Array(data), 200, { 'Content-Type': type, ...SECURITY_HEADERS });
  });

  return app;
}
