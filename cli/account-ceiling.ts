// The highest level an account's factors could reach, counting authenticators still in cool-off: what a reset takes away.
import type { AccountRecord, AuthenticatorRecord } from '../adapters/types.ts';
import { highestReachable } from '../policy/ladder.ts';
import type { Ladder, Level } from '../policy/types.ts';
import { enrolmentOf } from '../stepup/assessment.ts';

export function accountCeiling(ladder: Ladder, account: AccountRecord, authenticators: readonly AuthenticatorRecord[]): Level | undefined {
  const { factors, coolingOff } = enrolmentOf(Boolean(account.passwordHash), authenticators);
  return highestReachable(ladder, new Set([...factors, ...coolingOff.map((entry) => entry.factor)]));
}
