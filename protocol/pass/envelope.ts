// The envelope of a pass read in place, on the hot path of every scan. Every pass that issuePass makes has one
// byte layout:
//   d2 84 4d [a2 01 27 04 48 <kid: 8 bytes>] a0 <payload: bstr> 58 40 <signature: 64 bytes>
// i.e. tag 18, a four-element array, the protected header { 1: -8, 4: h'<kid>' } as a 13-byte byte string, an
// empty unprotected map, the payload, the signature. readStandardPass recognises exactly this layout, checking what
// parseSign1, openPass's header check, checkAlg and the kid check would check (so it accepts nothing they refuse),
// and builds the Sig_structure without copying: the base45 text is decoded into one scratch buffer at offset
// MESSAGE_SHIFT, behind the start of the Sig_structure (84 6a "Signature1"), so that the envelope from its protected
// header on already sits where the Sig_structure wants it. Two bytes are then rewritten: the end of "Signature1"
// over the envelope's first two bytes, and the external_aad (an empty byte string, 40) over the unprotected map (a0).
// Any other layout is refused here (false) and goes through the general path, which names what is wrong or, for an
// unusual but valid encoding, verifies it the long way.
import { base45DecodeInto, base45DecodedLength } from '../internal/base45.js';

const SIG1_PREFIX = Uint8Array.of(0x84, 0x6a, ...new TextEncoder().encode('Signature1'));
/** The envelope starts here, so its byte 2 (the protected header's head) lands at the end of SIG1_PREFIX. */
const MESSAGE_SHIFT = SIG1_PREFIX.length - 2;
const ENVELOPE_HEAD = [0xd2, 0x84, 0x4d, 0xa2, 0x01, 0x27, 0x04, 0x48];
const KID_AT = ENVELOPE_HEAD.length;
const UNPROTECTED_AT = KID_AT + 8;
const PAYLOAD_HEAD_AT = UNPROTECTED_AT + 1;
const SIGNATURE_BYTES = 64;

/**
 * Scratch space and the views of it, reused from one pass to the next: all of it is done with before checkPass
 * returns (the claims it returns are strings and numbers), so no scan allocates a buffer or a view.
 */
export class PassScratch {
  /** The buffer holding the kid and the payload (and the Sig_structure from its start). */
  readonly bytes: Uint8Array;
  /** After readStandardPass returned true, until the next call: the Sig_structure, ready for the signature check, */
  message: Uint8Array;
  /** the signature, */
  signature: Uint8Array;
  /** and where the kid and the payload are in `bytes`. */
  kidAt = 0;
  payloadStart = 0;
  payloadEnd = 0;
  private readonly messageViews: (Uint8Array | undefined)[] = [];
  private readonly signatureViews: (Uint8Array | undefined)[] = [];

  constructor(maxChars: number) {
    this.bytes = new Uint8Array(MESSAGE_SHIFT + Math.ceil((maxChars * 2) / 3) + 2);
    this.bytes.set(SIG1_PREFIX.subarray(0, MESSAGE_SHIFT));
    this.message = this.bytes.subarray(0, 0);
    this.signature = this.message;
  }

  /**
   * Decode `text` (from character `from`, size and prefix already checked) and read it as a standard pass: true,
   * with the fields above set, or false for any other layout. Throws BAD_ENCODING as base45Decode does.
   */
  readStandardPass(text: string, from: number): boolean {
    const b = this.bytes;
    if (MESSAGE_SHIFT + base45DecodedLength(text, from) > b.length) return false;
    const length = base45DecodeInto(text, from, b, MESSAGE_SHIFT);
    const e = MESSAGE_SHIFT; // the envelope's byte i is b[e + i]
    if (length < PAYLOAD_HEAD_AT + 1 + 2 + SIGNATURE_BYTES) return false;
    for (let i = 0; i < ENVELOPE_HEAD.length; i++) if (b[e + i] !== ENVELOPE_HEAD[i]) return false;
    if (b[e + UNPROTECTED_AT] !== 0xa0) return false;
    // The payload's byte-string head, in shortest form.
    const first = b[e + PAYLOAD_HEAD_AT]!;
    let payloadStart: number;
    let payloadLength: number;
    if (first >= 0x40 && first < 0x58) {
      payloadStart = PAYLOAD_HEAD_AT + 1;
      payloadLength = first - 0x40;
    } else if (first === 0x58 && b[e + PAYLOAD_HEAD_AT + 1]! >= 24) {
      payloadStart = PAYLOAD_HEAD_AT + 2;
      payloadLength = b[e + PAYLOAD_HEAD_AT + 1]!;
    } else return false; // a payload of 256 bytes or more does not fit in a pass
    const payloadEnd = payloadStart + payloadLength;
    // Then the signature's head (a 64-byte byte string) and exactly 64 bytes, nothing after.
    if (payloadEnd + 2 + SIGNATURE_BYTES !== length) return false;
    if (b[e + payloadEnd] !== 0x58 || b[e + payloadEnd + 1] !== SIGNATURE_BYTES) return false;
    // Recognised: turn the front of the buffer into the Sig_structure.
    b[e] = SIG1_PREFIX[MESSAGE_SHIFT]!;
    b[e + 1] = SIG1_PREFIX[MESSAGE_SHIFT + 1]!;
    b[e + UNPROTECTED_AT] = 0x40;
    const messageLength = e + payloadEnd;
    const signatureAt = e + payloadEnd + 2;
    this.message = this.messageViews[messageLength] ??= b.subarray(0, messageLength);
    this.signature = this.signatureViews[signatureAt] ??= b.subarray(signatureAt, signatureAt + SIGNATURE_BYTES);
    this.kidAt = e + KID_AT;
    this.payloadStart = e + payloadStart;
    this.payloadEnd = e + payloadEnd;
    return true;
  }
}
