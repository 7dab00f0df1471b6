// Writes documents that belong to an account so that none outlives it, without a transaction: removing an account deletes
// the account first and its documents second (accounts.ts), so a write that checks the account again after it lands
// either is seen by that removal or sees the account gone and undoes itself.
import type { Collection } from 'mongodb';
import { StoreError } from '../types.ts';
import type { AccountDoc } from './collections.ts';

export async function writeForAccount(accounts: Collection<AccountDoc>, accountId: string, write: () => Promise<unknown>, undo: () => Promise<unknown>): Promise<void> {
  const exists = async () => (await accounts.countDocuments({ _id: accountId }, { limit: 1 })) > 0;
  if (!(await exists())) throw new StoreError('not_found', `no account ${accountId}`);
  await write();
  if (await exists()) return;
  await undo();
  throw new StoreError('not_found', `no account ${accountId}`);
}
