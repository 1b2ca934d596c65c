// Decoding a pass's signed claims: one walk over the bytes, on the hot path of every scan, after the signature
// holds. The claims map has one allowed shape, so each claim's value is read as the type it must have and checked
// as it is read, with no intermediate map, no general CBOR decoder and no regular expression:
//   - a definite map of 8 claims, or 9 with the holder key, keys in canonical order (the bytewise order of their
//     encodings, which for these keys is the order of CLAIM_ORDER) without repeats: a key is accepted only if it is
//     a known claim's exact shortest encoding and comes after the previous one, so an unknown, repeated or
//     out-of-order key, or a key in a longer form, is refused;
//   - every head in shortest form, definite lengths only, integers within the safe range, nothing after the map;
//   - the rules of encodeClaims (claims.ts): issuer and site ids are names, times whole seconds with expiresAt
//     after notBefore, ids 16–32 bytes and different, colour one of three, scope "*" or 1–16 distinct site ids,
//     the holder key 32 bytes.
// Every failure is BAD_CLAIMS. test/protocol/claims-decode.test.ts holds it to the general strict decoder
// (cborDecodeStrict) plus the same rules, on valid claims and on many mutated ones.
import { ProtocolError } from '../errors.js';
import type { Colour, PassClaims, Scope } from '../types.js';
import { MAX_SCOPE_SITES } from '../internal/names.js';
import { PUBLIC_KEY_BYTES, toBase64Url } from '../keys.js';
import { ID_MAX_BYTES, ID_MIN_BYTES } from './claims.js';

function bad(message: string): never {
  throw new ProtocolError('BAD_CLAIMS', `claims: ${message}`);
}

// Claim positions in canonical order: iss 1, exp 4, nbf 5, iat 6, cti 7, then -65537 (rid), -65538 (colour),
// -65539 (scope), -65540 (holder), each encoded as 0x3a 00 01 00 0n.
const ISS = 0;
const EXP = 1;
const NBF = 2;
const IAT = 3;
const CTI = 4;
const RID = 5;
const COLOUR = 6;
const SCOPE = 7;
const HOLDER = 8;
const REQUIRED = 8;

/** Read position and end of the payload being decoded (decoding is synchronous: one payload at a time). */
let at = 0;
let end = 0;

/** The claim position of the key at `at` (and step over it), or -1 for any other key or form. */
function claimKey(b: Uint8Array): number {
  if (at >= end) bad('truncated');
  const first = b[at]!;
  if (first === 0x01) {
    at += 1;
    return ISS;
  }
  if (first >= 0x04 && first <= 0x07) {
    at += 1;
    return first - 0x04 + EXP;
  }
  if (first === 0x3a && at + 5 <= end && b[at + 1] === 0 && b[at + 2] === 1 && b[at + 3] === 0) {
    const low = b[at + 4]!;
    if (low <= 3) {
      at += 5;
      return RID + low;
    }
  }
  return -1;
}

/** A head of major type `major` (anything else is `what`), in shortest form; returns its argument. */
function head(b: Uint8Array, major: number, what: string): number {
  if (at >= end) bad('truncated');
  const first = b[at++]!;
  if (first >> 5 !== major) bad(what);
  const ai = first & 31;
  if (ai < 24) return ai;
  const size = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0;
  if (size === 0) bad('indefinite length or reserved value');
  if (at + size > end) bad('truncated');
  let arg = 0;
  for (let i = 0; i < size; i++) arg = arg * 256 + b[at++]!;
  if (arg < (size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : 0x100000000)) bad('not in shortest form');
  if (arg > Number.MAX_SAFE_INTEGER) bad('integer out of range');
  return arg;
}

/** The content of a byte or text string of `length` bytes at `at`: where it starts (and step over it). */
function content(b: Uint8Array, length: number): number {
  const start = at;
  if (start + length > end) bad('truncated');
  at = start + length;
  return start;
}

/** Character classes of a name's bytes: 1 a letter or digit (may start a name), 2 `.` `_` `-`, 0 anything else. */
const NAME_CHARS = new Uint8Array(256);
for (const c of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz') NAME_CHARS[c.charCodeAt(0)] = 1;
for (const c of '._-') NAME_CHARS[c.charCodeAt(0)] = 2;

/** Character codes of a string being made, by its length, reused: each string is made at once from them, flat
 * (no Buffer, no concatenation one character at a time). */
const codesByLength: number[][] = [];

function codes(length: number): number[] {
  return (codesByLength[length] ??= new Array<number>(length).fill(0));
}

/** A name (names.ts NAME_PATTERN: 1–32 of A-Z a-z 0-9 . _ -, starting with a letter or digit) as a text string. */
function name(b: Uint8Array, what: string): string {
  const length = head(b, 3, what);
  const start = content(b, length);
  if (length === 0 || length > 32 || NAME_CHARS[b[start]!] !== 1) bad(what);
  const text = codes(length);
  for (let i = 0; i < length; i++) {
    const c = b[start + i]!;
    if (NAME_CHARS[c] === 0) bad(what);
    text[i] = c;
  }
  return String.fromCharCode.apply(null, text);
}

function time(b: Uint8Array): number {
  return head(b, 0, 'times: whole seconds since the epoch');
}

const HEX_DIGITS = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** A 16–32-byte id as lower-case hex; `what` is the message if it is not one. */
function id(b: Uint8Array, what: string): string {
  const length = head(b, 2, what);
  const start = content(b, length);
  if (length < ID_MIN_BYTES || length > ID_MAX_BYTES) bad(what);
  const hex = codes(2 * length);
  for (let i = 0; i < length; i++) {
    const x = b[start + i]!;
    hex[2 * i] = HEX_DIGITS[x >> 4]!;
    hex[2 * i + 1] = HEX_DIGITS[x & 15]!;
  }
  return String.fromCharCode.apply(null, hex);
}

/** The colours by the length of their text (red 3, green 5, yellow 6), and that text's bytes. */
const COLOUR_OF_LENGTH: (Colour | undefined)[] = new Array<Colour | undefined>(7).fill(undefined);
const COLOUR_TEXT: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(7).fill(undefined);
for (const c of ['red', 'green', 'yellow'] as const) {
  COLOUR_OF_LENGTH[c.length] = c;
  COLOUR_TEXT[c.length] = new TextEncoder().encode(c);
}

function colour(b: Uint8Array): Colour {
  const what = 'colour: green, yellow or red';
  const length = head(b, 3, what);
  const start = content(b, length);
  // A colour is known by its length; then every byte is compared (one small loop: little code on the hot path).
  const text = length < COLOUR_TEXT.length ? COLOUR_TEXT[length] : undefined;
  if (text === undefined) bad(what);
  for (let i = 0; i < length; i++) if (b[start + i] !== text[i]) bad(what);
  return COLOUR_OF_LENGTH[length]!;
}

const SCOPE_COUNT = `scope: 1-${MAX_SCOPE_SITES} site ids`;

function scope(b: Uint8Array): Scope {
  const what = 'scope: "*" or a list of site ids';
  if (at >= end) bad('truncated');
  const major = b[at]! >> 5;
  if (major === 3) {
    const length = head(b, 3, what);
    const start = content(b, length);
    if (length !== 1 || b[start] !== 0x2a) bad(what);
    return 'all';
  }
  const count = head(b, 4, what);
  if (count === 0 || count > MAX_SCOPE_SITES) bad(SCOPE_COUNT);
  const sites: string[] = [];
  for (let i = 0; i < count; i++) {
    const site = name(b, 'scope: site ids are 1-32 characters of A-Z a-z 0-9 . _ -');
    for (let j = 0; j < i; j++) if (sites[j] === site) bad('scope: duplicate site id');
    sites.push(site);
  }
  return Object.freeze(sites);
}

/** Decode and check the signed claims payload b[start, end). Called only after the signature holds. */
export function decodeClaims(b: Uint8Array, start = 0, stop = b.length): PassClaims {
  at = start;
  end = stop;
  const entries = head(b, 5, 'not a map');
  if (entries !== REQUIRED && entries !== REQUIRED + 1) bad('a claim is missing, or one too many');
  let issuer = '';
  let expiresAt = 0;
  let notBefore = 0;
  let issuedAt = 0;
  let passId = '';
  let revocationId = '';
  let colourValue: Colour = 'red';
  let scopeValue: Scope = 'all';
  let holderKey: string | undefined;
  for (let n = 0; n < entries; n++) {
    const key = claimKey(b);
    if (key < 0) bad('unknown claim, or a key not in shortest form');
    // The n-th entry must be the n-th claim: that is canonical order without repeats, and with 8 or 9 entries every
    // required claim (the holder key, last, is the only optional one).
    if (key !== n) bad(key < n ? 'keys not in canonical order, or repeated' : 'a claim is missing');
    switch (key) {
      case ISS:
        issuer = name(b, 'issuer: 1-32 characters of A-Z a-z 0-9 . _ -');
        break;
      case EXP:
        expiresAt = time(b);
        break;
      case NBF:
        notBefore = time(b);
        break;
      case IAT:
        issuedAt = time(b);
        break;
      case CTI:
        passId = id(b, 'passId: 16-32 bytes');
        break;
      case RID:
        revocationId = id(b, 'revocationId: 16-32 bytes');
        break;
      case COLOUR:
        colourValue = colour(b);
        break;
      case SCOPE:
        scopeValue = scope(b);
        break;
      case HOLDER: {
        const length = head(b, 2, 'holderKey: 32 bytes');
        const start = content(b, length);
        if (length !== PUBLIC_KEY_BYTES) bad('holderKey: 32 bytes');
        holderKey = toBase64Url(b.subarray(start, at));
        break;
      }
    }
  }
  if (at !== end) bad('bytes after the claims');
  if (expiresAt <= notBefore) bad('expiresAt must be after notBefore');
  if (passId === revocationId) bad('revocationId equals passId');
  const claims: PassClaims =
    holderKey === undefined
      ? { issuer, passId, revocationId, colour: colourValue, issuedAt, notBefore, expiresAt, scope: scopeValue }
      : {
          issuer,
          passId,
          revocationId,
          colour: colourValue,
          issuedAt,
          notBefore,
          expiresAt,
          scope: scopeValue,
          holderKey,
        };
  return Object.freeze(claims);
}
