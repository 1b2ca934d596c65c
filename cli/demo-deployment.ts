// The demo's server side: a sync server with embedded defaults in a throw-away data dir, driven through its real
// admin HTTP API (as the admin page and `gatecode admin` do) to create an enrolment code and the demo passes.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { decodePublicKey, generateSigningKey, issuePass, type Colour } from '../protocol/index.js';
import { parseConfig } from '../sync-server/config.js';
import { startServer, type RunningServer } from '../sync-server/server.js';

export interface DemoPass {
  /** What the pass is, for the terminal and the summary. */
  readonly label: string;
  readonly text: string;
  readonly expected: { readonly colour: Colour; readonly reason: string };
}

export interface DemoServer {
  readonly server: RunningServer;
  readonly adminToken: string;
  call<T>(method: string, p: string, body?: unknown): Promise<T>;
}

export class DemoError extends Error {
  override readonly name = 'DemoError';
}

export async function startDemoServer(dataDir: string, log?: Logger): Promise<DemoServer> {
  const config = parseConfig({ dataDir, host: '127.0.0.1', port: 0, logLevel: 'silent' });
  const server = await startServer(config, log ? { log } : {});
  const adminToken = fs.readFileSync(server.tokenFile, 'utf8').trim();
  const call = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(server.url + p, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new DemoError(`server refused ${method} ${p}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return { server, adminToken, call };
}

/** A one-time enrolment URI (server URL, code, root fingerprint) from the admin API. */
export async function createEnrolment(s: DemoServer): Promise<string> {
  const r = await s.call<{ enrolmentUri: string }>('POST', '/api/admin/enrolments', { ttlSeconds: 600 });
  return r.enrolmentUri;
}

interface Issued {
  pass: { passId: string };
  text: string;
}

/**
 * Issue the demo's passes for a gate at `site`: green, yellow, red, revoked, expired, another site's, forged.
 * Everything goes through the admin API except the forgery, which is signed by a key the deployment never had,
 * under the real issuer key's id — exactly what a forger holding a copy of a pass could do.
 */
export async function issueDemoPasses(s: DemoServer, site: string, now: number): Promise<DemoPass[]> {
  const issue = (colour: Colour, extra: Record<string, unknown> = {}) =>
    s.call<Issued>('POST', '/api/admin/passes', { colour, scope: [site], validForSeconds: 8 * 3600, ...extra });
  const green = await issue('green');
  const yellow = await issue('yellow');
  const red = await issue('red');
  const revoked = await issue('green');
  await s.call('POST', `/api/admin/passes/${revoked.pass.passId}/revoke`);
  const expired = await s.call<Issued>('POST', '/api/admin/passes', {
    colour: 'green',
    scope: [site],
    notBefore: now - 2 * 86400,
    expiresAt: now - 86400,
  });
  const elsewhere = await issue('green', { scope: ['another-site'] });

  const keys = await s.call<{ issuers: { kid: string; issuer: string; publicKey: string; status: string }[] }>(
    'GET',
    '/api/admin/keys',
  );
  const real = keys.issuers.find((k) => k.status === 'active');
  if (!real) throw new DemoError('the server lists no active issuer key');
  // The real key's public half (so the pass names the real key id) with a private key the forger made up.
  const forger = { ...generateSigningKey(real.issuer), kid: real.kid, publicKey: decodePublicKey(real.publicKey) };
  const forged = issuePass(
    { colour: 'green', notBefore: now - 60, expiresAt: now + 8 * 3600, scope: [site], issuedAt: now },
    forger,
  );

  return [
    { label: 'green pass', text: green.text, expected: { colour: 'green', reason: 'OK' } },
    { label: 'yellow pass', text: yellow.text, expected: { colour: 'yellow', reason: 'OK' } },
    { label: 'red pass', text: red.text, expected: { colour: 'red', reason: 'OK' } },
    { label: 'revoked pass', text: revoked.text, expected: { colour: 'red', reason: 'REVOKED' } },
    { label: 'expired pass', text: expired.text, expected: { colour: 'red', reason: 'EXPIRED' } },
    { label: 'pass for another site', text: elsewhere.text, expected: { colour: 'red', reason: 'WRONG_SCOPE' } },
    { label: 'forged pass', text: forged.text, expected: { colour: 'red', reason: 'BAD_SIGNATURE' } },
  ];
}

/** Write each pass's QR code as a PNG (for --webcam: hold them up to the camera). */
export async function writePassImages(dir: string, passes: readonly DemoPass[]): Promise<string[]> {
  const { toFile } = await import('qrcode');
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, p] of passes.entries()) {
    const file = path.join(dir, `${i + 1}-${p.label.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await toFile(file, p.text, { errorCorrectionLevel: 'M', margin: 4, scale: 8 });
    files.push(file);
  }
  return files;
}
