// TOTP enrolment: a candidate secret and its URI, then confirmation by a first code before the secret is stored encrypted.
import { randomUUID } from 'node:crypto';
import { Secret } from 'otpauth';
import type { AuthenticatorRecord, CoolOff, AuthenticatorStore } from '../adapters/types.ts';
import { AuthError } from './errors.ts';
import { encryptSecret, type SecretKeyring } from './secret-box.ts';
import { generateTotpSecret, matchTotpStep, normalizeTotpCode, totpUri } from './totp.ts';

export const MAX_LABEL_LENGTH = 64;
/**
 * A code is checked against every app of the account, so each app multiplies the odds of a guess: two apps (a phone
 * and a spare) keep the chance before the lock at 0.06 % (docs/security.md, "Guessing limits").
 */
export const MAX_TOTP_AUTHENTICATORS = 2;
/** RFC 4226 requires at least 128 bits; we generate 160. */
const MIN_SECRET_BYTES = 16;

export interface TotpEnrollmentDeps {
  authenticators: AuthenticatorStore;
  keyring: SecretKeyring;
  /** Epoch seconds. */
  now: number;
}

/** A candidate secret (base32) and the otpauth:// URI to show as a QR code; nothing is stored yet. */
export function newTotpEnrollment({ issuer, username }: { issuer: string; username: string }): { secret: string; uri: string } {
  const secret = generateTotpSecret();
  return { secret, uri: totpUri({ issuer, label: username, secret }) };
}

/**
 * Checks the first code against the candidate secret, then stores the authenticator with the
 * secret encrypted and the matched step already consumed, so the enrolment code cannot be replayed.
 */
export async function confirmTotpEnrollment(
  { accountId, secret, code, label, coolOff }: { accountId: string; secret: string; code: string; label: string; coolOff?: CoolOff },
  deps: TotpEnrollmentDeps,
): Promise<AuthenticatorRecord> {
  const token = normalizeTotpCode(code);
  const name = typeof label === 'string' ? label.trim() : '';
  if (name === '' || name.length > MAX_LABEL_LENGTH) {
    throw new AuthError('invalid_input', `the name must be 1 to ${MAX_LABEL_LENGTH} characters`);
  }
  if (!isUsableSecret(secret)) throw new AuthError('invalid_input', 'the TOTP secret is malformed');

  const step = matchTotpStep({ code: token, secretBase32: secret, now: deps.now });
  if (step === null) throw new AuthError('invalid_credentials', 'wrong code');

  const record: AuthenticatorRecord = {
    id: randomUUID(),
    accountId,
    kind: 'totp',
    label: name,
    data: { secret: await encryptSecret(secret, deps.keyring) },
    createdAt: deps.now,
    lastUsedAt: deps.now,
    lastUsedStep: step,
    ...(coolOff && { coolOff }),
  };
  await deps.authenticators.add(record);
  return record;
}

function isUsableSecret(secret: unknown): secret is string {
  if (typeof secret !== 'string' || !/^[A-Z2-7]+=*$/i.test(secret)) return false;
  try {
    return Secret.fromBase32(secret).bytes.length >= MIN_SECRET_BYTES;
  } catch {
    return false;
  }
}
