// Authenticators in MongoDB, changed only by their owner; TOTP steps and passkey counters move forward by conditional
// updates, and each step or counter value is used once (single-use.ts): a conditional update alone is not atomic on
// FerretDB 1.x, where two submissions of one step could both match it.
import { ObjectId, type Db, type Filter } from 'mongodb';
import { StoreError, type AuthenticatorRecord, type AuthenticatorStore } from '../types.ts';
import { COLLECTIONS, dateOf, type AccountDoc, type AuthenticatorDoc } from './collections.ts';
import { isDuplicateKey } from './errors.ts';
import { writeForAccount } from './owned-by-account.ts';
import { createSingleUse } from './single-use.ts';

/** How long the use of a TOTP step or a counter value is kept: far longer than any code or assertion stays acceptable. */
const USE_KEPT_SECONDS = 24 * 3600;

/**
 * The unique key of an authenticator's credential: the credential id for passkeys, the authenticator's own id for the
 * rest. Every document has one, so a plain unique index keeps credential ids unique without a partial index (which
 * FerretDB 1.x refuses) and without tripping over the many documents that have no credential id.
 */
export function credentialKeyOf(authenticatorId: string, credentialId: string | undefined): string {
  return credentialId === undefined ? `authenticator:${authenticatorId}` : credentialKey(credentialId);
}

function credentialKey(credentialId: string): string {
  return `credential:${credentialId}`;
}

export function createAuthenticatorStore(db: Db): AuthenticatorStore {
  const authenticators = db.collection<AuthenticatorDoc>(COLLECTIONS.authenticators);
  const accounts = db.collection<AccountDoc>(COLLECTIONS.accounts);
  const uses = createSingleUse(db);

  /** Moves a TOTP step or a passkey counter forward: the value must be new (`use`) and pass `update`'s condition. */
  const useOnce = async (key: string, at: number, update: () => Promise<{ matchedCount: number }>) => (await uses.claim(key, at, dateOf(at + USE_KEPT_SECONDS))) && (await update()).matchedCount === 1;

  return {
    async add(a) {
      const insert = async () => {
        try {
          await authenticators.insertOne(toDoc(a));
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          // FerretDB's duplicate key errors do not say which index refused: the id decides.
          const idTaken = (await authenticators.countDocuments({ _id: a.id }, { limit: 1 })) > 0;
          throw new StoreError('conflict', idTaken ? `authenticator ${a.id} already exists` : 'this credential is already registered');
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
      // Of concurrent submissions of a step exactly one records its use; the update then moves lastUsedStep forward.
      const filter: Filter<AuthenticatorDoc> = { _id: id, $or: [{ lastUsedStep: { $exists: false } }, { lastUsedStep: { $lt: step } }] };
      if ((await authenticators.countDocuments(filter, { limit: 1 })) === 0) return false;
      return useOnce(`totp:${id}:${step}`, at, () => authenticators.updateOne(filter, { $set: { lastUsedStep: step, lastUsedAt: at } }));
    },
    async findByCredentialId(credentialId) {
      return toRecord(await authenticators.findOne({ credentialKey: credentialKey(credentialId) }));
    },
    async advanceSignCount(id, signCount, at) {
      const forward: Filter<AuthenticatorDoc>[] = [{ signCount: { $exists: false } }, { signCount: { $lt: signCount } }];
      // Authenticators without a counter report 0 every time: nothing to use once.
      if (signCount === 0) forward.push({ signCount: 0 });
      const filter: Filter<AuthenticatorDoc> = { _id: id, $or: forward };
      const update = () => authenticators.updateOne(filter, { $set: { signCount, lastUsedAt: at } });
      if (signCount === 0) return (await update()).matchedCount === 1;
      if ((await authenticators.countDocuments(filter, { limit: 1 })) === 0) return false;
      return useOnce(`signCount:${id}:${signCount}`, at, update);
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
    credentialKey: credentialKeyOf(a.id, a.credentialId),
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
