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
// Any other layout is refused here (null) and goes through the general path, which names what is wrong or, for an
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

export interface StandardPass {
  /** The Sig_structure, ready for the signature check. */
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  /** The buffer holding the kid and the payload, and where they are in it. */
  readonly bytes: Uint8Array;
  readonly kidAt: number;
  readonly payloadStart: number;
  readonly payloadEnd: number;
}

/**
 * Scratch space and the views of it, reused from one pass to the next: all of it is done with before checkPass
 * returns (the claims it returns are strings and numbers), so no scan allocates a buffer or a view.
 */
export class PassScratch {
  private readonly buffer: Uint8Array;
  private readonly messageViews: (Uint8Array | undefined)[] = [];
  private readonly signatureViews: (Uint8Array | undefined)[] = [];

  constructor(maxChars: number) {
    this.buffer = new Uint8Array(MESSAGE_SHIFT + Math.ceil((maxChars * 2) / 3) + 2);
    this.buffer.set(SIG1_PREFIX.subarray(0, MESSAGE_SHIFT));
  }

  /**
   * Decode `text` (from character `from`, size and prefix already checked) and read it as a standard pass, or
   * null. Throws BAD_ENCODING as base45Decode does. The result is valid until the next call.
   */
  readStandardPass(text: string, from: number): StandardPass | null {
    const b = this.buffer;
    if (MESSAGE_SHIFT + base45DecodedLength(text, from) > b.length) return null;
    const length = base45DecodeInto(text, from, b, MESSAGE_SHIFT);
    const e = MESSAGE_SHIFT; // the envelope's byte i is b[e + i]
    if (length < PAYLOAD_HEAD_AT + 1 + 2 + SIGNATURE_BYTES) return null;
    for (let i = 0; i < ENVELOPE_HEAD.length; i++) if (b[e + i] !== ENVELOPE_HEAD[i]) return null;
    if (b[e + UNPROTECTED_AT] !== 0xa0) return null;
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
    } else return null; // a payload of 256 bytes or more does not fit in a pass
    const payloadEnd = payloadStart + payloadLength;
    // Then the signature's head (a 64-byte byte string) and exactly 64 bytes, nothing after.
    if (payloadEnd + 2 + SIGNATURE_BYTES !== length) return null;
    if (b[e + payloadEnd] !== 0x58 || b[e + payloadEnd + 1] !== SIGNATURE_BYTES) return null;
    // Recognised: turn the front of the buffer into the Sig_structure.
    b[e] = SIG1_PREFIX[MESSAGE_SHIFT]!;
    b[e + 1] = SIG1_PREFIX[MESSAGE_SHIFT + 1]!;
    b[e + UNPROTECTED_AT] = 0x40;
    const messageLength = e + payloadEnd;
    const signatureAt = e + payloadEnd + 2;
    const message = (this.messageViews[messageLength] ??= b.subarray(0, messageLength));
    const signature = (this.signatureViews[signatureAt] ??= b.subarray(signatureAt, signatureAt + SIGNATURE_BYTES));
    return {
      message,
      signature,
      bytes: b,
      kidAt: e + KID_AT,
      payloadStart: e + payloadStart,
      payloadEnd: e + payloadEnd,
    };
  }
}
