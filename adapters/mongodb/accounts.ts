// Accounts in MongoDB: usernames are unique case-insensitively (a unique index on the username key) and keep their spelling.
import type { Db } from 'mongodb';
import { StoreError, type AccountRecord, type AccountStore } from '../types.ts';
import { usernameKey } from '../username-key.ts';
import { COLLECTIONS, type AccountDoc, type AuthenticatorDoc, type RecoverySecretDoc, type RecoverySecretUseDoc } from './collections.ts';
import { isDuplicateKey } from './errors.ts';

export function createAccountStore(db: Db): AccountStore {
  const accounts = db.collection<AccountDoc>(COLLECTIONS.accounts);
  const authenticators = db.collection<AuthenticatorDoc>(COLLECTIONS.authenticators);
  const secrets = db.collection<RecoverySecretDoc>(COLLECTIONS.recoverySecrets);
  const secretUses = db.collection<RecoverySecretUseDoc>(COLLECTIONS.recoverySecretUses);

  return {
    async create(account) {
      try {
        await accounts.insertOne({
          _id: account.id,
          username: account.username,
          usernameKey: usernameKey(account.username),
          passwordHash: account.passwordHash,
          createdAt: account.createdAt,
          ...(account.disabledAt !== undefined && { disabledAt: account.disabledAt }),
        });
      } catch (error) {
        if (isDuplicateKey(error)) throw new StoreError('conflict', `account id or username already exists: ${account.username}`);
        throw error;
      }
    },
    async findById(id) {
      return toAccount(await accounts.findOne({ _id: id }));
    },
    async findByUsername(username) {
      return toAccount(await accounts.findOne({ usernameKey: usernameKey(username) }));
    },
    async list() {
      const docs = await accounts.find({}).sort({ usernameKey: 1 }).toArray();
      return docs.map((doc) => toAccount(doc)!);
    },
    async setPasswordHash(id, passwordHash) {
      const { matchedCount } = await accounts.updateOne({ _id: id }, { $set: { passwordHash } });
      if (matchedCount === 0) throw new StoreError('not_found', `no account ${id}`);
    },
    async setDisabled(id, disabledAt) {
      const update = disabledAt === undefined ? { $unset: { disabledAt: '' as const } } : { $set: { disabledAt } };
      return (await accounts.updateOne({ _id: id }, update)).matchedCount === 1;
    },
    async remove(id) {
      // The account first: a concurrent write of an authenticator or secret then either lands before the deletes below or
      // sees the account gone (owned-by-account.ts). Its audit events stay.
      const { deletedCount } = await accounts.deleteOne({ _id: id });
      await Promise.all([authenticators.deleteMany({ accountId: id }), secrets.deleteMany({ accountId: id }), secretUses.deleteMany({ accountId: id })]);
      return deletedCount === 1;
    },
  };
}

function toAccount(doc: AccountDoc | null): AccountRecord | undefined {
  if (!doc) return undefined;
  return {
    id: doc._id,
    username: doc.username,
    passwordHash: doc.passwordHash,
    createdAt: doc.createdAt,
    ...(doc.disabledAt !== undefined && { disabledAt: doc.disabledAt }),
  };
}
