// The holder's side of the HTTP server. /api/wallet/claim takes a claim link's secret (and, for a holder-bound claim,
// the wallet's public key) and answers with the pass and a refresh secret; /api/wallet/refresh takes that refresh
// secret and answers with the current pass; /wallet/ serves the wallet page (static
// files in sync-server/wallet/, and the QR encoder module from the `uqr` package) for a phone's browser. No cookie,
// no session: the secret in the body is the only credential, and the page works offline once loaded.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { z } from 'zod';
import { CLAIM_SECRET } from '../claims.js';
import { HttpError } from './errors.js';
import { readJson, type AppEnv, type Services } from './env.js';

export const WALLET_DIR = fileURLToPath(new URL('../wallet/', import.meta.url));
/** The vendored QR encoder: an ES module without imports, served as the page's /wallet/vendor/uqr.mjs. */
const UQR_FILE = path.join(path.dirname(createRequire(import.meta.url).resolve('uqr')), 'index.mjs');

const claimSchema = z.strictObject({
  secret: z.string().regex(CLAIM_SECRET),
  holderKey: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
});
const refreshSchema = z.strictObject({ secret: z.string().regex(CLAIM_SECRET) });

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};

const HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/** POST /api/wallet/claim and /api/wallet/refresh. */
export function walletApiRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/claim', async (c) => {
    const body = await readJson(c, claimSchema);
    const { pass, refreshSecret } = s.claims.redeem(body.secret, body.holderKey);
    c.header('Cache-Control', 'no-store');
    return c.json({ pass, refreshSecret }, 201);
  });
  app.post('/refresh', async (c) => {
    const body = await readJson(c, refreshSchema);
    c.header('Cache-Control', 'no-store');
    return c.json(s.claims.refresh(body.secret));
  });
  return app;
}

/** GET /wallet/*: the page's files by name from one folder (never outside it), and the vendored QR module. */
export function walletPageRoutes(dir: string = WALLET_DIR): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const root = path.resolve(dir);
  app.get('/', (c) => c.redirect('/wallet/', 308));
  app.get('/*', (c) => {
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(c.req.url).pathname.replace(/^\/wallet\/?/, '')) || 'index.html';
    } catch {
      throw new HttpError('NOT_FOUND');
    }
    const file = rel === 'vendor/uqr.mjs' ? UQR_FILE : path.resolve(root, rel);
    if (file !== UQR_FILE && (!file.startsWith(root + path.sep) || rel.split('/').some((p) => p.startsWith('.'))))
      throw new HttpError('NOT_FOUND');
    const type = TYPES[path.extname(file).toLowerCase()];
    if (!type) throw new HttpError('NOT_FOUND');
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      throw new HttpError('NOT_FOUND');
    }
    // The service worker controls the whole /wallet/ scope.
    const extra: Record<string, string> = rel === 'sw.js' ? { 'Service-Worker-Allowed': '/wallet/' } : {};
    return c.body(new Uint8Array(data), 200, { 'Content-Type': type, ...HEADERS, ...extra });
  });
  return app;
}
