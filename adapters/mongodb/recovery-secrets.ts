// Recovery secrets in MongoDB: each is used once, settled by inserting its use under the secret's own _id (a second use
// is a duplicate key, on MongoDB and FerretDB alike); a new set replaces the old one by deletes then an insert, not
// atomically (no transaction): two replaces racing may both leave their set, and a failed insert leaves the account
// without a set of that kind (SQLite keeps the old one).
import type { Db, Filter } from 'mongodb';
import { summarizeSecrets } from '../recovery-summary.ts';
import { StoreError, type RecoverySecretKind, type RecoverySecretStore } from '../types.ts';
import { COLLECTIONS, type AccountDoc, type RecoverySecretDoc, type RecoverySecretUseDoc } from './collections.ts';
import { isDuplicateKey } from './errors.ts';
import { writeForAccount } from './owned-by-account.ts';

export function createRecoverySecretStore(db: Db): RecoverySecretStore {
  const secrets = db.collection<RecoverySecretDoc>(COLLECTIONS.recoverySecrets);
  const uses = db.collection<RecoverySecretUseDoc>(COLLECTIONS.recoverySecretUses);
  const accounts = db.collection<AccountDoc>(COLLECTIONS.accounts);

  const removeSets = async (accountId: string, kind?: RecoverySecretKind) => {
    const filter = { accountId, ...(kind !== undefined && { kind }) };
    await Promise.all([secrets.deleteMany(filter), uses.deleteMany(filter)]);
  };

  return {
    async replace(accountId, kind, list) {
      const docs: RecoverySecretDoc[] = list.map((s) => ({
        kind,
        hash: s.hash,
        accountId,
        setId: s.setId,
        createdAt: s.createdAt,
        ...(s.expiresAt !== undefined && { expiresAt: s.expiresAt }),
        ...(s.usedAt !== undefined && { usedAt: s.usedAt }),
      }));
      const inserted = { accountId, kind, hash: { $in: docs.map((d) => d.hash) } };
      const write = async () => {
        await removeSets(accountId, kind);
        if (docs.length === 0) return;
        try {
          await secrets.insertMany(docs, { ordered: true });
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          await secrets.deleteMany(inserted);
          throw new StoreError('conflict', `a ${kind} with this hash already exists`);
        }
      };
      await writeForAccount(accounts, accountId, write, () => secrets.deleteMany(inserted));
    },
    async consume(kind, hash, at, accountId) {
      const filter: Filter<RecoverySecretDoc> = {
        kind,
        hash,
        usedAt: { $exists: false },
        $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: at } }],
        ...(accountId !== undefined && { accountId }),
      };
      const secret = await secrets.findOne(filter, { projection: { _id: 1, accountId: 1 } });
      if (!secret) return undefined;
      // Of concurrent uses of a secret, exactly one inserts its use.
      try {
        await uses.insertOne({ _id: secret._id, accountId: secret.accountId, kind, at });
        return secret.accountId;
      } catch (error) {
        if (isDuplicateKey(error)) return undefined;
        throw error;
      }
    },
    async summary(accountId, kind, now) {
      const [docs, used] = await Promise.all([
        secrets.find({ accountId, kind }, { projection: { setId: 1, createdAt: 1, expiresAt: 1, usedAt: 1 } }).toArray(),
        uses.find({ accountId, kind }, { projection: { at: 1 } }).toArray(),
      ]);
      const usedAt = new Map(used.map((use) => [use._id.toHexString(), use.at]));
      return summarizeSecrets(
        docs.map(({ _id, usedAt: storedUse, ...secret }) => {
          const at = storedUse ?? usedAt.get(_id.toHexString());
          return { ...secret, ...(at !== undefined && { usedAt: at }) };
        }),
        now,
      );
    },
    removeAll: removeSets,
  };
}
