// The QR renderer returns an inline SVG for an otpauth URI.
import { describe, expect, it } from 'vitest';
import { qrSvg } from '../../../authenticators/qr.ts';

describe('qrSvg', () => {
  it('renders an SVG document', async () => {
    const svg = await qrSvg('otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example');
    expect(svg.trimStart().startsWith('<svg')).toBe(true);
    expect(svg).toContain('</svg>');
    expect(svg).not.toContain('JBSWY3DPEHPK3PXP');
  });
});
