// The account a command names by username, or the operator's not_found error.
import type { AccountRecord, Stores } from '../adapters/types.ts';
import { CliError } from './errors.ts';

export async function findAccount(stores: Stores, username: string): Promise<AccountRecord> {
  const account = await stores.accounts.findByUsername(username);
  if (!account) throw new CliError('not_found', `no user named "${username}"`);
  return account;
}
