// The demo's holder-bound pass: a claim link made through the admin API is claimed by the wallet page's own code
// (sync-server/wallet/proof.js, run here on Node's WebCrypto: a non-extractable Ed25519 key, only the public key
// sent), and the wallet's rotating code is shown to the gate twice: live, and as a screenshot ten minutes old.
import { holderCode, newHolderKey } from '../sync-server/wallet/proof.js';
import { DemoError, type DemoPass, type DemoServer } from './demo-deployment.js';

/** The demo gate accepts wallet codes up to this old: its film is rendered before the device starts. */
export const DEMO_PROOF_WINDOW_SECONDS = 120;

export async function claimHolderDemoPasses(s: DemoServer, site: string, nowMs: number): Promise<DemoPass[]> {
  const { url } = await s.call<{ url: string }>('POST', '/api/admin/claims', {
    colour: 'green',
    scope: [site],
    validForSeconds: 8 * 3600,
    holderBound: true,
  });
  const secret = new URLSearchParams(new URL(url).hash.slice(1)).get('claim');
  if (!secret) throw new DemoError('the claim link carries no secret');
  const key = await newHolderKey();
  const res = await fetch(`${s.server.url}/api/wallet/claim`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret, holderKey: key.publicKey }),
  });
  if (!res.ok) throw new DemoError(`the wallet claim was refused: ${res.status} ${await res.text()}`);
  const { pass } = (await res.json()) as { pass: { passId: string; text: string } };
  const live = await holderCode(pass.text, pass.passId, key.privateKey, nowMs);
  const stale = await holderCode(pass.text, pass.passId, key.privateKey, nowMs - 600_000);
  return [
    { label: 'wallet pass (live code)', text: live, expected: { colour: 'green', reason: 'OK' } },
    { label: 'stale wallet screenshot', text: stale, expected: { colour: 'red', reason: 'PROOF_STALE' } },
  ];
}
