// Renders an otpauth:// URI as an inline SVG QR code for the enrolment page.
import QRCode from 'qrcode';

export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
}
