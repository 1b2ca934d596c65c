// Lower-case hex of a few bytes (a kid, a pass id) on the hot path of every scan: a table of byte pairs is cheaper
// than a Buffer round trip for so few bytes. Same output as keys.ts toHex.
const PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function shortHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += PAIRS[bytes[i]!]!;
  return hex;
}
