// The append-only audit log in MongoDB, read newest first (server-assigned ids follow the order of insertion).
import type { Db, Filter } from 'mongodb';
import { clampAuditLimit } from '../audit-limit.ts';
import type { AuditEvent, AuditStore } from '../types.ts';
import { COLLECTIONS } from './collections.ts';

export function createAuditStore(db: Db): AuditStore {
  const audit = db.collection<AuditEvent>(COLLECTIONS.audit);

  return {
    async append(event) {
      // A copy: the driver would otherwise add an _id to the caller's object. The server assigns the _id, so every
      // instance's events share one order.
      await audit.insertOne({ ...event }, { forceServerObjectId: true });
    },
    async list({ accountId, type, limit }) {
      const filter: Filter<AuditEvent> = {};
      if (accountId !== undefined) filter.accountId = accountId;
      if (type !== undefined) filter.type = type;
      const docs = await audit.find(filter, { projection: { _id: 0 } }).sort({ _id: -1 }).limit(clampAuditLimit(limit)).toArray();
      return docs as AuditEvent[];
    },
  };
}
