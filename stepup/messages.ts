// What each authenticator error tells the person signing in, and the HTTP status of that page.
import type { AuthError } from '../authenticators/index.ts';
import type { Factor } from '../policy/types.ts';
import type { AuthenticatorKind } from '../adapters/types.ts';
import { utcText } from '../views/time.ts';

/** A refused passkey is not of this account, or its device did not check who was there (no user verification). */
const PASSKEY_REFUSED =
  'That passkey could not be verified for this account: it is not one of its passkeys, or your device did not check it is you with a PIN, fingerprint or face. Use a passkey of this account on a device that asks for one of them.';

const WRONG: Record<Factor, string> = {
  pwd: 'Wrong username or password.',
  otp: 'That code is not right. Check your authenticator app and try again.',
  passkey: PASSKEY_REFUSED,
  hwk: PASSKEY_REFUSED,
  recovery: 'Wrong username, password or recovery code.',
};

const MISSING: Record<Factor, string> = {
  pwd: 'Enter your username and password.',
  otp: 'Enter the 6-digit code from your authenticator app.',
  passkey: 'The passkey did not answer. Try again.',
  hwk: 'The passkey did not answer. Try again.',
  recovery: 'Enter your username, your password and one of your recovery codes (like 7gk2-q9xd-m4pa-r).',
};

export function messageFor(error: AuthError, factor: Factor): { status: number; message: string } {
  switch (error.code) {
    case 'invalid_credentials':
      return { status: 401, message: WRONG[factor] };
    case 'replayed':
      return { status: 401, message: 'That code was already used. Wait for the next code and enter it.' };
    case 'cloned':
      return { status: 401, message: 'This passkey looks like a copy of another one, so it was refused. Use another sign-in method and check your devices.' };
    case 'throttled':
      return {
        status: 429,
        message: `Too many failed attempts${error.limit === 'address' ? ' from your network' : ''}. Wait ${waitText(error.retryAfter ?? 1)}, then try again.`,
      };
    case 'locked':
      return { status: 429, message: 'This account is locked after too many failed attempts. Sign in with a passkey to unlock it, or contact your administrator.' };
    case 'invalid_input':
      return { status: 400, message: MISSING[factor] };
    case 'not_enrolled':
      return { status: 400, message: 'No authenticator of this kind is set up for this account.' };
    case 'disabled':
      return { status: 403, message: 'This account is disabled. Contact your administrator.' };
  }
}

/** A right code or passkey of an authenticator still in its cool-off: verified, but not enough for this request yet. */
export function coolingOffMessage(kind: AuthenticatorKind, until: number): string {
  return `${kind === 'totp' ? 'This authenticator app' : 'This passkey'} was added recently: until ${utcText(until)} it does not count for this. Use another sign-in method, or try again then.`;
}

function waitText(seconds: number): string {
  return seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}
