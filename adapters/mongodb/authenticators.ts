// Authenticators in MongoDB, changed only by their owner; TOTP steps and passkey counters move forward by conditional updates.
import { ObjectId, type Db, type Filter } from 'mongodb';
import { StoreError, type AuthenticatorRecord, type AuthenticatorStore } from '../types.ts';
import { COLLECTIONS, type AccountDoc, type AuthenticatorDoc } from './collections.ts';
import { isDuplicateKey } from './errors.ts';
import { writeForAccount } from './owned-by-account.ts';

export function createAuthenticatorStore(db: Db): AuthenticatorStore {
  const authenticators = db.collection<AuthenticatorDoc>(COLLECTIONS.authenticators);
  const accounts = db.collection<AccountDoc>(COLLECTIONS.accounts);

  return {
    async add(a) {
      const insert = async () => {
        try {
          await authenticators.insertOne(toDoc(a));
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          const credential = error.keyPattern !== undefined && 'credentialId' in (error.keyPattern as object);
          throw new StoreError('conflict', credential ? 'this credential is already registered' : `authenticator ${a.id} already exists`);
        }
      };
      await writeForAccount(accounts, a.accountId, insert, () => authenticators.deleteOne({ _id: a.id, accountId: a.accountId }));
    },
    async get(id) {
      return toRecord(await authenticators.findOne({ _id: id }));
    },
    async listByAccount(accountId) {
      const docs = await authenticators.find({ accountId }).sort({ createdAt: 1, seq: 1 }).toArray();
      return docs.map((doc) => toRecord(doc)!);
    },
    async rename(id, accountId, label) {
      return (await authenticators.updateOne({ _id: id, accountId }, { $set: { label } })).matchedCount === 1;
    },
    async remove(id, accountId) {
      return (await authenticators.deleteOne({ _id: id, accountId })).deletedCount === 1;
    },
    async consumeTotpStep(id, step, at) {
      // One document, one conditional update: of concurrent submissions of a step, exactly one matches.
      const filter: Filter<AuthenticatorDoc> = { _id: id, $or: [{ lastUsedStep: { $exists: false } }, { lastUsedStep: { $lt: step } }] };
      return (await authenticators.updateOne(filter, { $set: { lastUsedStep: step, lastUsedAt: at } })).matchedCount === 1;
    },
    async findByCredentialId(credentialId) {
      return toRecord(await authenticators.findOne({ credentialId }));
    },
    async advanceSignCount(id, signCount, at) {
      const forward: Filter<AuthenticatorDoc>[] = [{ signCount: { $exists: false } }, { signCount: { $lt: signCount } }];
      if (signCount === 0) forward.push({ signCount: 0 });
      return (await authenticators.updateOne({ _id: id, $or: forward }, { $set: { signCount, lastUsedAt: at } })).matchedCount === 1;
    },
    async removeAllForAccount(accountId) {
      return (await authenticators.deleteMany({ accountId })).deletedCount;
    },
  };
}

function toDoc(a: AuthenticatorRecord): AuthenticatorDoc {
  return {
    _id: a.id,
    accountId: a.accountId,
    kind: a.kind,
    label: a.label,
    data: JSON.stringify(a.data),
    createdAt: a.createdAt,
    seq: new ObjectId(),
    ...(a.lastUsedAt !== undefined && { lastUsedAt: a.lastUsedAt }),
    ...(a.lastUsedStep !== undefined && { lastUsedStep: a.lastUsedStep }),
    ...(a.credentialId !== undefined && { credentialId: a.credentialId }),
    ...(a.signCount !== undefined && { signCount: a.signCount }),
    ...(a.coolOff !== undefined && { coolOff: { until: a.coolOff.until, cap: a.coolOff.cap, origin: a.coolOff.origin } }),
  };
}

function toRecord(doc: AuthenticatorDoc | null): AuthenticatorRecord | undefined {
  if (!doc) return undefined;
  return {
    id: doc._id,
    accountId: doc.accountId,
    kind: doc.kind,
    label: doc.label,
    data: JSON.parse(doc.data) as Record<string, unknown>,
    createdAt: doc.createdAt,
    ...(doc.lastUsedAt !== undefined && { lastUsedAt: doc.lastUsedAt }),
    ...(doc.lastUsedStep !== undefined && { lastUsedStep: doc.lastUsedStep }),
    ...(doc.credentialId !== undefined && { credentialId: doc.credentialId }),
    ...(doc.signCount !== undefined && { signCount: doc.signCount }),
    ...(doc.coolOff !== undefined && { coolOff: { until: doc.coolOff.until, cap: doc.coolOff.cap, origin: doc.coolOff.origin } }),
  };
}
