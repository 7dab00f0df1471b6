// RFC 6238 TOTP (SHA1, 6 digits, 30 s), the profile every authenticator app understands.
import { Secret, TOTP } from 'otpauth';
import { AuthError } from './errors.ts';

const TOTP_PERIOD = 30;
const TOTP_DIGITS = 6;
const TOTP_ALGORITHM = 'SHA1';
const SECRET_BYTES = 20;

/** A fresh 160-bit secret, base32-encoded. */
export function generateTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The `otpauth://totp/...` key URI that authenticator apps scan. */
export function totpUri({ issuer, label, secret }: { issuer: string; label: string; secret: string }): string {
  return totp(secret, issuer, label).toString();
}

/** The RFC 6238 time step that contains `nowSeconds`. */
export function currentStep(nowSeconds: number): number {
  return Math.floor(nowSeconds / TOTP_PERIOD);
}

/** Strips spaces; throws AuthError('invalid_input') unless exactly six ASCII digits remain. */
export function normalizeTotpCode(code: unknown): string {
  const digits = typeof code === 'string' ? code.replace(/\s+/g, '') : '';
  if (!/^[0-9]{6}$/.test(digits)) throw new AuthError('invalid_input', 'the code must be 6 digits');
  return digits;
}

/**
 * Checks a code against the secret within one step either side of `now` (epoch seconds).
 * Returns the absolute time step it matched, or null. Replay protection is the caller's job.
 */
export function matchTotpStep({ code, secretBase32, now }: { code: string; secretBase32: string; now: number }): number | null {
  const token = normalizeTotpCode(code);
  const delta = totp(secretBase32).validate({ token, timestamp: now * 1000, window: 1 });
  return delta === null ? null : currentStep(now) + delta;
}

function totp(secretBase32: string, issuer = '', label = 'OTPAuth'): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secretBase32),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
  });
}
