// Shared fixtures for the authenticator tests: fast scrypt parameters, a keyring, and a helper to capture AuthErrors.
import { randomBytes } from 'node:crypto';
import { AuthError } from '../../../authenticators/errors.ts';
import type { PasswordParams } from '../../../authenticators/password.ts';
import type { SecretKeyring } from '../../../authenticators/secret-box.ts';

/** N = 2^10 keeps each hash around a millisecond. */
export const FAST_PARAMS: PasswordParams = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };

export function keyring(kid = 'k1'): SecretKeyring {
  return { currentKid: kid, keys: { [kid]: new Uint8Array(randomBytes(32)) } };
}

/** Awaits a promise expected to reject with an AuthError and returns that error. */
export async function authError(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AuthError) return err;
    throw err;
  }
  throw new Error('expected an AuthError, but the promise resolved');
}
