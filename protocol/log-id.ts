// History identity: every signed revocation list and freshness statement names the server history its sequence
// numbers belong to, a log id of 16 random bytes. A server starts a new history (a new log id) whenever its
// history may have been rewound: a restore from backup, a copy of its data started elsewhere, a detected gap.
// A device compares sequence numbers only within one history; another history's data is taken only as a snapshot.
import { randomBytes } from 'node:crypto';
import { isBytes } from './internal/cbor.js';
import type { Cbor } from './internal/cbor.js';
import { bad } from './internal/document.js';
import { toHex } from './keys.js';

export const LOG_ID_BYTES = 16;
const LOG_ID_HEX = /^[0-9a-f]{32}$/;

/** A fresh random log id (lower-case hex). */
export function newLogId(): string {
  return randomBytes(LOG_ID_BYTES).toString('hex');
}

/** True for a log id as the types carry it: 16 bytes as lower-case hex. */
export function isLogId(v: unknown): v is string {
  return typeof v === 'string' && LOG_ID_HEX.test(v);
}

/** The wire form (a 16-byte string), refusing anything that is not a log id. */
export function logIdBytes(logId: string, what: string): Buffer {
  if (!isLogId(logId)) bad(`${what}.logId: 16 bytes as lower-case hex`);
  return Buffer.from(logId, 'hex');
}

/** Read `logId` from a decoded payload map (BAD_CLAIMS unless a 16-byte string). */
export function readLogId(map: ReadonlyMap<Cbor, Cbor>, what: string): string {
  const v = map.get('logId');
  if (!isBytes(v) || v.length !== LOG_ID_BYTES) bad(`${what}.logId: not 16 bytes`);
  return toHex(v);
}
