// QR images of pass text and enrolment URIs (the `qrcode` package), error correction Q as the protocol sizes for.
import QRCode from 'qrcode';

export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'Q', margin: 4 });
}

export function qrPng(text: string, scale = 8): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'Q', margin: 4, scale });
}
