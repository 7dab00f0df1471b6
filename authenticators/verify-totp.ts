// The TOTP authenticator: reserves a guess with the limiter, matches the code against each enrolled secret, consumes the step once, returns the 'otp' event.
import { randomUUID } from 'node:crypto';
import type { AuthenticatorRecord, AuthenticatorStore } from '../adapters/types.ts';
import { attemptKeys } from './attempt-limiter.ts';
import { isCoolingOff } from '../policy/cool-off.ts';
import { AuthError } from './errors.ts';
import { reserveGuess, type Guess, type GuessLimits } from './guess.ts';
import { decryptSecret, type SecretKeyring } from './secret-box.ts';
import { matchTotpStep, normalizeTotpCode } from './totp.ts';
import type { VerifiedFactor } from './types.ts';

export interface TotpDeps extends GuessLimits {
  authenticators: AuthenticatorStore;
  keyring: SecretKeyring;
}

export interface VerifiedTotp extends VerifiedFactor {
  authenticator: AuthenticatorRecord;
}

export async function verifyTotp({ accountId, code }: { accountId: string; code: string }, deps: TotpDeps): Promise<VerifiedTotp> {
  const token = normalizeTotpCode(code);
  const enrolled = (await deps.authenticators.listByAccount(accountId)).filter((a) => a.kind === 'totp');
  if (enrolled.length === 0) throw new AuthError('not_enrolled', 'no TOTP authenticator is enrolled');

  const guess = await reserveGuess(attemptKeys.totp(accountId), deps);
  try {
    return await check(token, enrolled, guess, deps);
  } catch (error) {
    // A secret that cannot be decrypted (a key problem) or a store failure is not a guess: no-op once settled.
    await guess.abandon();
    throw error;
  }
}

async function check(token: string, enrolled: AuthenticatorRecord[], guess: Guess, deps: TotpDeps): Promise<VerifiedTotp> {
  for (const authenticator of enrolled) {
    const secretBase32 = await decryptSecret(authenticator.data.secret as string, deps.keyring);
    const step = matchTotpStep({ code: token, secretBase32, now: deps.now });
    if (step === null) continue;
    if (!(await deps.authenticators.consumeTotpStep(authenticator.id, step, deps.now))) {
      await guess.wrong();
      throw new AuthError('replayed', 'this code has already been used; wait for the next one');
    }
    // An app still in cool-off was enrolled by a weaker proof: its right code must not reset the account's counter.
    if (isCoolingOff(authenticator.coolOff, deps.now)) await guess.rightButCoolingOff();
    else await guess.right();
    return {
      authenticator,
      event: {
        id: randomUUID(),
        accountId: authenticator.accountId,
        factor: 'otp',
        amr: ['otp'],
        at: deps.now,
        authenticatorId: authenticator.id,
      },
    };
  }

  await guess.wrong();
  throw new AuthError('invalid_credentials', 'wrong code');
}
