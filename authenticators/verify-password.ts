// The password authenticator: reserves a guess with the limiter, verifies the hash (or a dummy for unknown users) and returns the 'pwd' event.
import { randomUUID } from 'node:crypto';
import type { AccountRecord, AccountStore } from '../adapters/types.ts';
import { attemptKeys } from './attempt-limiter.ts';
import { AuthError } from './errors.ts';
import { reserveGuess, type GuessLimits } from './guess.ts';
import { assertPasswordInput, dummyVerify, hashPassword, needsRehash, verifyPasswordHash, type PasswordParams } from './password.ts';
import type { VerifiedFactor } from './types.ts';

export const MAX_USERNAME_LENGTH = 256;

export interface PasswordDeps extends GuessLimits {
  accounts: AccountStore;
  passwordParams: PasswordParams;
}

export interface VerifiedPassword extends VerifiedFactor {
  account: AccountRecord;
}

export async function verifyPassword({ username, password }: { username: string; password: string }, deps: PasswordDeps): Promise<VerifiedPassword> {
  if (typeof username !== 'string' || username.trim() === '' || username.length > MAX_USERNAME_LENGTH) {
    throw new AuthError('invalid_input', 'username is required');
  }
  assertPasswordInput(password);

  const account = await deps.accounts.findByUsername(username);
  const guess = await reserveGuess(account ? attemptKeys.password(account.id) : attemptKeys.unknownUsername(username), deps);

  let ok: boolean;
  try {
    ok = account ? await verifyPasswordHash(password, account.passwordHash) : await dummyVerify(password, deps.passwordParams);
  } catch (error) {
    // A broken stored hash is not a guess: the address gets its reservation back.
    await guess.abandon();
    throw error;
  }
  if (!account || !ok) {
    await guess.wrong();
    throw new AuthError('invalid_credentials', 'unknown username or wrong password');
  }

  await guess.right();
  if (needsRehash(account.passwordHash, deps.passwordParams)) {
    const passwordHash = await hashPassword(password, deps.passwordParams);
    await deps.accounts.setPasswordHash(account.id, passwordHash);
  }
  return {
    account,
    event: { id: randomUUID(), accountId: account.id, factor: 'pwd', amr: ['pwd'], at: deps.now },
  };
}
