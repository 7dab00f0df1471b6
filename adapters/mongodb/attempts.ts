// Consecutive-failure counters in MongoDB, incremented by one atomic $inc upsert (shared by every instance).
import type { Db } from 'mongodb';
import type { AttemptState, AttemptStore } from '../types.ts';
import { COLLECTIONS, dateOf, type AttemptDoc } from './collections.ts';
import { retryOnDuplicateKey } from './errors.ts';

export function createAttemptStore(db: Db): AttemptStore {
  const attempts = db.collection<AttemptDoc>(COLLECTIONS.attempts);

  return {
    async get(key) {
      const doc = await attempts.findOne({ _id: key });
      return doc ? toState(doc) : undefined;
    },
    async recordFailure(key, at, expiresAt) {
      const set = expiresAt === undefined ? { lastFailureAt: at } : { lastFailureAt: at, expiresAt: dateOf(expiresAt) };
      const doc = await retryOnDuplicateKey(() => attempts.findOneAndUpdate({ _id: key }, { $inc: { failures: 1 }, $set: set }, { upsert: true, returnDocument: 'after' }));
      if (!doc) throw new Error(`upsert of attempt counter ${key} returned no document`);
      return toState(doc);
    },
    async release(key) {
      await attempts.updateOne({ _id: key, failures: { $gt: 0 } }, { $inc: { failures: -1 } });
    },
    async reset(key) {
      await attempts.deleteOne({ _id: key });
    },
  };
}

function toState(doc: AttemptDoc): AttemptState {
  return { failures: doc.failures, lastFailureAt: doc.lastFailureAt };
}
