// A session's verified factors in MongoDB, each kept until its expiry (TTL index, and checked on read); re-appending is a no-op.
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import type { AuthEvent } from '../../policy/types.ts';
import type { AuthEventStore } from '../types.ts';
import { COLLECTIONS, dateOf, type AuthEventDoc } from './collections.ts';
import { retryOnDuplicateKey } from './errors.ts';

export function createAuthEventStore(db: Db): AuthEventStore {
  const events = db.collection<AuthEventDoc>(COLLECTIONS.authEvents);

  return {
    async append(sessionUid, list, expiresAt) {
      if (list.length === 0) return;
      // Upserts that only set on insert: an event already stored keeps its first version. The _id is left to the
      // server, so it follows the order in which events were appended (the tie-breaker of equal times).
      const operations: AnyBulkWriteOperation<AuthEventDoc>[] = list.map((e) => ({
        updateOne: {
          filter: { sessionUid, eventId: e.id },
          update: {
            $setOnInsert: {
              accountId: e.accountId,
              factor: e.factor,
              amr: e.amr,
              at: e.at,
              ...(e.authenticatorId !== undefined && { authenticatorId: e.authenticatorId }),
              expiresAt: dateOf(expiresAt),
            },
          },
          upsert: true,
        },
      }));
      await retryOnDuplicateKey(() => events.bulkWrite(operations, { ordered: true }));
    },
    async listBySession(sessionUid, now) {
      const docs = await events
        .find({ sessionUid, expiresAt: { $gt: dateOf(now) } })
        .sort({ at: 1, _id: 1 })
        .toArray();
      return docs.map(toAuthEvent);
    },
  };
}

function toAuthEvent(doc: AuthEventDoc): AuthEvent {
  return {
    id: doc.eventId,
    accountId: doc.accountId,
    factor: doc.factor,
    amr: doc.amr,
    at: doc.at,
    ...(doc.authenticatorId !== undefined && { authenticatorId: doc.authenticatorId }),
  };
}
