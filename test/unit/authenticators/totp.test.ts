// RFC 6238 TOTP: test vectors, the ±1 step window, input validation, secrets and key URIs.
import { Secret, TOTP, URI } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { currentStep, generateTotpSecret, matchTotpStep, normalizeTotpCode, totpUri } from '../../../authenticators/totp.ts';

/** RFC 6238 appendix B SHA1 seed: ASCII "12345678901234567890". */
const RFC_SECRET = Secret.fromLatin1('12345678901234567890').base32;

function codeAt(secretBase32: string, step: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secretBase32), timestamp: step * 30 * 1000 });
}

describe('RFC 6238 test vectors (SHA1)', () => {
  it('the seed is the expected base32 string', () => {
    expect(RFC_SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('time 59 gives 94287082 with 8 digits', () => {
    expect(TOTP.generate({ secret: Secret.fromBase32(RFC_SECRET), digits: 8, timestamp: 59_000 })).toBe('94287082');
  });

  it.each([
    [59, '287082', 1],
    [1111111109, '081804', 37037036],
    [1234567890, '005924', 41152263],
    [2000000000, '279037', 66666666],
  ])('at %i the 6-digit code %s matches absolute step %i', (now, code, step) => {
    expect(matchTotpStep({ code, secretBase32: RFC_SECRET, now })).toBe(step);
  });
});

describe('the step window', () => {
  const now = 1_700_000_000;
  const step = currentStep(now);

  it.each([-1, 0, 1])('accepts a code from step %i relative to now and returns the absolute step', (delta) => {
    expect(matchTotpStep({ code: codeAt(RFC_SECRET, step + delta), secretBase32: RFC_SECRET, now })).toBe(step + delta);
  });

  it.each([-2, 2])('refuses a code from step %i relative to now', (delta) => {
    expect(matchTotpStep({ code: codeAt(RFC_SECRET, step + delta), secretBase32: RFC_SECRET, now })).toBeNull();
  });

  it('refuses a code made with another secret', () => {
    const other = generateTotpSecret();
    const code = codeAt(other, step);
    const expected = codeAt(RFC_SECRET, step);
    if (code === expected) return; // one chance in a million
    expect(matchTotpStep({ code, secretBase32: RFC_SECRET, now })).toBeNull();
  });
});

describe('code input', () => {
  it('strips spaces', () => {
    expect(normalizeTotpCode(' 287 082 ')).toBe('287082');
    expect(matchTotpStep({ code: '287 082', secretBase32: RFC_SECRET, now: 59 })).toBe(1);
  });

  it.each(['', '12345', '1234567', 'abcdef', '28708a', '２８７０８２', '١٢٣٤٥٦', '-28708', '287082\u0000'])('refuses %j as invalid_input', (code) => {
    expect(() => matchTotpStep({ code, secretBase32: RFC_SECRET, now: 59 })).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });

  it('refuses a non-string', () => {
    expect(() => normalizeTotpCode(287082)).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });
});

describe('secrets and URIs', () => {
  it('generates 20 random bytes as base32', () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(Secret.fromBase32(a).bytes).toHaveLength(20);
    expect(a).not.toBe(b);
  });

  it('builds an otpauth://totp URI with SHA1, 6 digits and a 30 s period', () => {
    const secret = generateTotpSecret();
    const uri = totpUri({ issuer: 'Example Corp', label: 'alice@example.com', secret });
    expect(uri.startsWith('otpauth://totp/')).toBe(true);
    const parsed = URI.parse(uri);
    expect(parsed).toBeInstanceOf(TOTP);
    const totp = parsed as TOTP;
    expect(totp.issuer).toBe('Example Corp');
    expect(totp.label).toBe('alice@example.com');
    expect(totp.secret.base32).toBe(secret);
    expect(totp.algorithm).toBe('SHA1');
    expect(totp.digits).toBe(6);
    expect(totp.period).toBe(30);
  });

  it('numbers steps from the epoch in 30 s periods', () => {
    expect(currentStep(0)).toBe(0);
    expect(currentStep(29)).toBe(0);
    expect(currentStep(30)).toBe(1);
    expect(currentStep(59)).toBe(1);
  });
});
