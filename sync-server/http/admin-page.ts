// GET /admin: the admin page (static files in sync-server/admin-page/, written by the pages engineer).
// Served by name from that one folder, never outside it (static-folder.ts).
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { AppEnv } from './env.js';
import { staticFolderRoutes } from './static-folder.js';

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
  return staticFolderRoutes({ dir, mount: '/admin', types: TYPES, headers: SECURITY_HEADERS });
}
