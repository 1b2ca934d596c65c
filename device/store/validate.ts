// Argument checks for the store's methods. A value outside the contract is a caller's bug: it gets a typed
// INVALID_ARGUMENT error that names the argument, never its value (it may be a pass hash or a token).
import { StoreError } from './errors.js';

/** Hex digits; the even length of 2–128 is checked beside it (a third of the time of a grouped pattern). */
const HEX_ID = /^[0-9a-fA-F]+$/;
const HASH = /^[0-9a-f]{16,128}$/;
const NAME = /^[A-Za-z0-9_:.\-/]{1,128}$/;
const STATE_KEY = /^[A-Za-z][A-Za-z0-9._:-]{0,63}$/;
/** Upper bound of a state value: enrolment data and sync bookkeeping are small. */
const MAX_STATE_VALUE = 64 * 1024;

function invalid(what: string, expected: string): StoreError {
  return new StoreError('INVALID_ARGUMENT', `${what}: expected ${expected}`);
}

/** A revocation id: hex, 1–64 bytes, returned in lower case (SQL `unhex()` stores it as those bytes). */
export function revocationIdArg(id: unknown, what = 'revocation id'): string {
  if (typeof id !== 'string' || id.length % 2 !== 0 || id.length > 128 || !HEX_ID.test(id))
    throw invalid(what, 'an even number of hex digits (1–64 bytes)');
  return id.toLowerCase();
}

/** Epoch seconds or another non-negative whole number. */
export function wholeNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(what, 'a non-negative whole number');
  }
  return value;
}

/** A time in epoch seconds; fractions are allowed (stored as given). */
export function seconds(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(what, 'epoch seconds');
  return value;
}

export function passHashArg(value: unknown, what = 'pass hash'): string {
  if (typeof value !== 'string' || !HASH.test(value)) throw invalid(what, 'a lower-case hex keyed hash');
  return value;
}

/** Zone names, counter names, reasons: short printable identifiers, so no payload can be smuggled in. */
export function nameArg(value: unknown, what: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) throw invalid(what, '1–128 characters of A–Z a–z 0–9 _ : . - /');
  return value;
}

export function stateKeyArg(value: unknown): string {
  if (typeof value !== 'string' || !STATE_KEY.test(value)) {
    throw invalid('state key', 'a letter then up to 63 of A–Z a–z 0–9 . _ : -');
  }
  return value;
}

export function stateValueArg(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value.length > MAX_STATE_VALUE)
    throw invalid('state value', 'a string up to 64 KiB or null');
  return value;
}

export function directionArg(value: unknown, what = 'direction'): 'in' | 'out' {
  if (value !== 'in' && value !== 'out') throw invalid(what, "'in' or 'out'");
  return value;
}

export function integer(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(what, 'a whole number');
  return value;
}

export function limitArg(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalid('limit', 'a whole number ≥ 1');
  return value;
}
