// Recovery secrets in MongoDB: each is used once, by one conditional findOneAndUpdate; a new set replaces the old one by a
// delete then an insert, not atomically (no transaction): two replaces racing may both leave their set, and a failed
// insert leaves the account without a set of that kind (SQLite keeps the old one).
import type { Db, Filter } from 'mongodb';
import { summarizeSecrets } from '../recovery-summary.ts';
import { StoreError, type RecoverySecretStore } from '../types.ts';
import { COLLECTIONS, type AccountDoc, type RecoverySecretDoc } from './collections.ts';
import { isDuplicateKey } from './errors.ts';
import { writeForAccount } from './owned-by-account.ts';

export function createRecoverySecretStore(db: Db): RecoverySecretStore {
  const secrets = db.collection<RecoverySecretDoc>(COLLECTIONS.recoverySecrets);
  const accounts = db.collection<AccountDoc>(COLLECTIONS.accounts);

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
        await secrets.deleteMany({ accountId, kind });
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
      // One document, one conditional update: of concurrent uses of a secret, exactly one matches it unused.
      const filter: Filter<RecoverySecretDoc> = {
        kind,
        hash,
        usedAt: { $exists: false },
        $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: at } }],
        ...(accountId !== undefined && { accountId }),
      };
      const won = await secrets.findOneAndUpdate(filter, { $set: { usedAt: at } }, { projection: { accountId: 1 } });
      return won?.accountId;
    },
    async summary(accountId, kind, now) {
      const docs = await secrets.find({ accountId, kind }, { projection: { setId: 1, createdAt: 1, expiresAt: 1, usedAt: 1 } }).toArray();
      return summarizeSecrets(docs, now);
    },
    async removeAll(accountId, kind) {
      await secrets.deleteMany({ accountId, ...(kind !== undefined && { kind }) });
    },
  };
}
