// An account's oidc-provider sessions in MongoDB, found by the accountId the oidc adapter writes (index by_account on
// every model collection of adapters/account-models.ts); a revocation is a set of deletes, not one transaction.
import type { Db, Filter } from 'mongodb';
import type { AdapterPayload } from 'oidc-provider';
import { ACCOUNT_TOKEN_MODELS } from '../account-models.ts';
import { byLogin, toSessionSummary } from '../session-summary.ts';
import type { AccountSessionStore } from '../types.ts';
import { COLLECTIONS, liveAt, modelCollection, type AuthEventDoc, type ModelDoc } from './collections.ts';

export function createAccountSessionStore(db: Db): AccountSessionStore {
  const model = (name: string) => db.collection<ModelDoc>(modelCollection(name));
  const events = db.collection<AuthEventDoc>(COLLECTIONS.authEvents);

  /** Interactions keep their session's uid inside the payload (JSON): the kept session's are picked out here. */
  const endInteractions = async (accountId: string, keep: string | undefined) => {
    const interactions = model('Interaction');
    if (keep === undefined) return interactions.deleteMany({ accountId });
    const docs = await interactions.find({ accountId }, { projection: { payload: 1 } }).toArray();
    const ending = docs.filter((doc) => (JSON.parse(doc.payload) as AdapterPayload).session?.uid !== keep).map((doc) => doc._id);
    return ending.length > 0 ? interactions.deleteMany({ _id: { $in: ending } }) : undefined;
  };

  return {
    async list(accountId, now) {
      const docs = await model('Session')
        .find({ accountId, ...liveAt(now) })
        .toArray();
      return docs.map((doc) => toSessionSummary(JSON.parse(doc.payload), accountId, doc.expiresAt && epochSeconds(doc.expiresAt))).sort(byLogin);
    },
    async revoke(accountId, options) {
      const keep = options?.keepSessionUid;
      const ending: Filter<ModelDoc> = keep === undefined ? { accountId } : { accountId, uid: { $ne: keep } };
      const ended = (
        await model('Session')
          .find(ending, { projection: { uid: 1 } })
          .toArray()
      ).flatMap((doc) => doc.uid ?? []);
      // The factor proofs of the sessions that end, and the account's proofs under any other session but the one kept.
      const otherProofs: Filter<AuthEventDoc> = keep === undefined ? { accountId } : { accountId, sessionUid: { $ne: keep } };
      const [sessions, grants, tokens] = await Promise.all([
        model('Session').deleteMany(ending),
        model('Grant').deleteMany({ accountId }),
        Promise.all(ACCOUNT_TOKEN_MODELS.map((name) => model(name).deleteMany({ accountId }))),
        endInteractions(accountId, keep),
        events.deleteMany({ $or: [{ sessionUid: { $in: ended } }, otherProofs] }),
      ]);
      return {
        sessions: sessions.deletedCount,
        grants: grants.deletedCount,
        tokens: tokens.reduce((sum, result) => sum + result.deletedCount, 0),
      };
    },
  };
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
