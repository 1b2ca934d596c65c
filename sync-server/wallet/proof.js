// The wallet's rotating code for a holder-bound pass (format: docs/protocol.md, "Holder proofs"): every 5 seconds
// the holder key signs the pass id and the time step; the shown text is GH1: + base45(tag, step, signature) + the
// pass. Plain WebCrypto, so the same file runs in the browser and in Node (the demo uses it there).
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const DOMAIN = new TextEncoder().encode('gatecode-holder-proof/1\u0000');
export const HOLDER_PREFIX = 'GH1:';
export const STEP_SECONDS = 5;

/** Base45 (RFC 9285): every character is in the QR alphanumeric set. */
export function base45(bytes) {
  let out = '';
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) {
    const n = bytes[i] * 256 + bytes[i + 1];
    out += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45) % 45] + ALPHABET[Math.floor(n / 2025)];
  }
  if (i < bytes.length) out += ALPHABET[bytes[i] % 45] + ALPHABET[Math.floor(bytes[i] / 45)];
  return out;
}

function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function stepAt(nowMs) {
  return Math.floor(nowMs / 1000 / STEP_SECONDS);
}

/** Milliseconds until the code changes. */
export function msToNextStep(nowMs) {
  return (stepAt(nowMs) + 1) * STEP_SECONDS * 1000 - nowMs;
}

/** A new holder key pair: the private key cannot be exported, not even by this page. */
export async function newHolderKey() {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  let bin = '';
  for (const b of raw) bin += String.fromCharCode(b);
  const publicKey = btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return { privateKey: pair.privateKey, publicKey };
}

/** The text to show for a holder-bound pass at a moment. */
export async function holderCode(passText, passId, privateKey, nowMs) {
  const step = stepAt(nowMs);
  const id = hexBytes(passId);
  const message = new Uint8Array(DOMAIN.length + id.length + 4);
  message.set(DOMAIN, 0);
  message.set(id, DOMAIN.length);
  new DataView(message.buffer).setUint32(DOMAIN.length + id.length, step);
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, message));
  const proof = new Uint8Array(72);
  proof.set(id.subarray(0, 4), 0);
  new DataView(proof.buffer).setUint32(4, step);
  proof.set(signature, 8);
  return HOLDER_PREFIX + base45(proof) + passText;
}
