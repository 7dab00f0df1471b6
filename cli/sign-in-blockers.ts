// What still keeps a user out after an operator's change (a disabled account, a locked password), as notes to act on.
import type { AccountRecord, Stores } from '../adapters/types.ts';
import { attemptKeys } from '../authenticators/index.ts';
import type { AppConfig } from '../config/index.ts';
import type { Out } from './run.ts';

/** `what` is what the user cannot use until the operator acts, e.g. "the link" or "the new password". */
export async function noteSignInBlockers(stores: Stores, config: AppConfig, account: AccountRecord, what: string, out: Out): Promise<void> {
  const { username } = account;
  if (account.disabledAt !== undefined) out(`note: ${username} is disabled; ${what} works only after \`stepup user enable ${username}\``);
  const failures = (await stores.attempts.get(attemptKeys.password(account.id)))?.failures ?? 0;
  if (failures >= config.limiter.lockAfter) out(`note: ${username}'s password is locked; ${what} works only after \`stepup user unlock ${username}\``);
}
