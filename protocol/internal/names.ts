// Issuer names and site ids: short, printable, unambiguous in logs and on a QR code.
import { ProtocolError } from '../errors.js';
import type { ProtocolReason } from '../errors.js';

/** 1–32 characters: letters, digits, `.`, `_`, `-`; starts with a letter or digit. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
export const MAX_SCOPE_SITES = 16;

export function isName(v: unknown): v is string {
  return typeof v === 'string' && NAME_PATTERN.test(v);
}

export function checkIssuer(issuer: string, reason: ProtocolReason = 'BAD_CLAIMS'): void {
  if (!isName(issuer)) throw new ProtocolError(reason, 'issuer: 1-32 characters of A-Z a-z 0-9 . _ -');
}
