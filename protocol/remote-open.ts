// Remote commands: the server's signed order that one gate opens once, or goes into (or out of) lockdown. Signed
// by the deployment root key (the key the device pinned at enrolment), they name the site and gate, are valid for
// a few seconds and carry a random nonce, so a copy replayed later or elsewhere does nothing (the device remembers
// nonces until expiry). A server compromised at the HTTP layer, without the root key file, cannot forge either.
// Wire: COSE_Sign1 whose content type tells the kind, payload a canonical CBOR map:
//   open      application/gatecode-remote-open+cbor      { site, gate, issuedAt, expiresAt, nonce }
//   lockdown  application/gatecode-remote-lockdown+cbor  { site, gate, issuedAt, expiresAt, nonce, on: bool }
// site and gate are text, issuedAt and expiresAt uint epoch seconds, nonce 32 hex digits.
import { ProtocolError } from './errors.js';
import { cborDecodeStrict, cborEncode } from './internal/cbor.js';
import {
  bad,
  CTY_REMOTE_LOCKDOWN,
  CTY_REMOTE_OPEN,
  expectMap,
  openDocument,
  signDocument,
  uint,
} from './internal/document.js';
import type { Cbor } from './internal/cbor.js';
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

/** A lockdown order: `on` true starts the commanded lockdown, false lifts it (the lockdown input still counts). */
export interface RemoteLockdownCommand extends RemoteOpenCommand {
  readonly on: boolean;
}

const BASE_KEYS = ['site', 'gate', 'issuedAt', 'expiresAt', 'nonce'];

function text(map: ReadonlyMap<unknown, unknown>, key: string): string {
  const v = map.get(key);
  if (typeof v !== 'string') bad(`remote-open.${key}: not text`);
  return v;
}

function checked<T extends RemoteOpenCommand>(cmd: T): T {
  if (!isName(cmd.site) || !isName(cmd.gate)) bad('remote-open: site or gate is not a valid name');
  if (!/^[0-9a-f]{32}$/.test(cmd.nonce)) bad('remote-open.nonce: expected 32 hex digits');
  if (cmd.expiresAt <= cmd.issuedAt || cmd.expiresAt - cmd.issuedAt > MAX_REMOTE_OPEN_SECONDS) {
    bad(`remote-open: validity must be 1..${MAX_REMOTE_OPEN_SECONDS} s`);
  }
  return Object.freeze(cmd);
}

function decodeBase(map: ReadonlyMap<Cbor, Cbor>): RemoteOpenCommand {
  return {
    site: text(map, 'site'),
    gate: text(map, 'gate'),
    issuedAt: uint(map, 'issuedAt', 'remote-open'),
    expiresAt: uint(map, 'expiresAt', 'remote-open'),
    nonce: text(map, 'nonce'),
  };
}

function decodeOpen(payload: Uint8Array): RemoteOpenCommand {
  return checked(decodeBase(expectMap(cborDecodeStrict(payload, 'BAD_CLAIMS'), BASE_KEYS, 'remote-open')));
}

function decodeLockdown(payload: Uint8Array): RemoteLockdownCommand {
  const map = expectMap(cborDecodeStrict(payload, 'BAD_CLAIMS'), [...BASE_KEYS, 'on'], 'remote-lockdown');
  const on = map.get('on');
  if (typeof on !== 'boolean') bad('remote-lockdown.on: not a boolean');
  return checked({ ...decodeBase(map), on });
}

function baseEntries(cmd: RemoteOpenCommand): [string, unknown][] {
  return [
    ['site', cmd.site],
    ['gate', cmd.gate],
    ['issuedAt', cmd.issuedAt],
    ['expiresAt', cmd.expiresAt],
    ['nonce', cmd.nonce],
  ];
}

export function signRemoteOpen(cmd: RemoteOpenCommand, key: SigningKey): Uint8Array {
  const payload = cborEncode(new Map<string, unknown>(baseEntries(cmd)));
  decodeOpen(payload);
  return signDocument(CTY_REMOTE_OPEN, payload, key);
}

export function signRemoteLockdown(cmd: RemoteLockdownCommand, key: SigningKey): Uint8Array {
  const payload = cborEncode(new Map<string, unknown>([...baseEntries(cmd), ['on', cmd.on]]));
  decodeLockdown(payload);
  return signDocument(CTY_REMOTE_LOCKDOWN, payload, key);
}

function openSigned(bytes: Uint8Array, cty: string, rootPublicKey: Uint8Array): Uint8Array {
  const doc = openDocument(bytes, cty, MAX_REMOTE_OPEN_BYTES);
  if (doc.kid !== kidFor(rootPublicKey))
    throw new ProtocolError('UNKNOWN_KEY', 'remote command not signed by the root key');
  if (!doc.verifiedBy(publicKeyObject(rootPublicKey))) {
    throw new ProtocolError('BAD_SIGNATURE', 'remote command signature does not verify');
  }
  return doc.payload;
}

/** size → COSE shape → content type → alg → kid (the root key only) → signature → payload. Time is the caller's. */
export function verifyRemoteOpen(bytes: Uint8Array, rootPublicKey: Uint8Array): RemoteOpenCommand {
  return decodeOpen(openSigned(bytes, CTY_REMOTE_OPEN, rootPublicKey));
}

/** As verifyRemoteOpen, for a lockdown command (a remote-open command is refused here, and the other way round). */
export function verifyRemoteLockdown(bytes: Uint8Array, rootPublicKey: Uint8Array): RemoteLockdownCommand {
  return decodeLockdown(openSigned(bytes, CTY_REMOTE_LOCKDOWN, rootPublicKey));
}
