// Remote open commands: the server's signed order that one gate opens once. Signed by the deployment root key
// (the key the device pinned at enrolment), they name the site and gate, are valid for a few seconds and carry a
// random nonce, so a copy replayed later or elsewhere opens nothing (the device remembers nonces until expiry).
// Wire: COSE_Sign1, content type application/gatecode-remote-open+cbor, payload a canonical CBOR map:
//   { site: text, gate: text, issuedAt: uint, expiresAt: uint, nonce: text (32 hex) }
import { ProtocolError } from './errors.js';
import { cborDecodeStrict, cborEncode } from './internal/cbor.js';
import { bad, CTY_REMOTE_OPEN, expectMap, openDocument, signDocument, uint } from './internal/document.js';
import { isName } from './internal/names.js';
import type { SigningKey } from './keys.js';
import { kidFor, publicKeyObject } from './keys.js';

export const MAX_REMOTE_OPEN_BYTES = 512;
/** The longest a command may be valid for: it is meant for a gate that is online now. */
export const MAX_REMOTE_OPEN_SECONDS = 30;

export interface RemoteOpenCommand {
  readonly site: string;
  readonly gate: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** 128 random bits, hex. */
  readonly nonce: string;
}

function text(map: ReadonlyMap<unknown, unknown>, key: string): string {
  const v = map.get(key);
  if (typeof v !== 'string') bad(`remote-open.${key}: not text`);
  return v;
}

function decodePayload(payload: Uint8Array): RemoteOpenCommand {
  const keys = ['site', 'gate', 'issuedAt', 'expiresAt', 'nonce'];
  const map = expectMap(cborDecodeStrict(payload, 'BAD_CLAIMS'), keys, 'remote-open');
  const cmd = {
    site: text(map, 'site'),
    gate: text(map, 'gate'),
    issuedAt: uint(map, 'issuedAt', 'remote-open'),
    expiresAt: uint(map, 'expiresAt', 'remote-open'),
    nonce: text(map, 'nonce'),
  };
  if (!isName(cmd.site) || !isName(cmd.gate)) bad('remote-open: site or gate is not a valid name');
  if (!/^[0-9a-f]{32}$/.test(cmd.nonce)) bad('remote-open.nonce: expected 32 hex digits');
  if (cmd.expiresAt <= cmd.issuedAt || cmd.expiresAt - cmd.issuedAt > MAX_REMOTE_OPEN_SECONDS) {
    bad(`remote-open: validity must be 1..${MAX_REMOTE_OPEN_SECONDS} s`);
  }
  return Object.freeze(cmd);
}

export function signRemoteOpen(cmd: RemoteOpenCommand, key: SigningKey): Uint8Array {
  const payload = cborEncode(
    new Map<string, unknown>([
      ['site', cmd.site],
      ['gate', cmd.gate],
      ['issuedAt', cmd.issuedAt],
      ['expiresAt', cmd.expiresAt],
      ['nonce', cmd.nonce],
    ]),
  );
  decodePayload(payload);
  return signDocument(CTY_REMOTE_OPEN, payload, key);
}

/** size → COSE shape → content type → alg → kid (the root key only) → signature → payload. Time is the caller's. */
export function verifyRemoteOpen(bytes: Uint8Array, rootPublicKey: Uint8Array): RemoteOpenCommand {
  const doc = openDocument(bytes, CTY_REMOTE_OPEN, MAX_REMOTE_OPEN_BYTES);
  if (doc.kid !== kidFor(rootPublicKey))
    throw new ProtocolError('UNKNOWN_KEY', 'remote open not signed by the root key');
  if (!doc.verifiedBy(publicKeyObject(rootPublicKey))) {
    throw new ProtocolError('BAD_SIGNATURE', 'remote open signature does not verify');
  }
  return decodePayload(doc.payload);
}
