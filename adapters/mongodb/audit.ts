// The append-only, hash-chained audit log in MongoDB: list newest first, query and read the chain oldest first.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db, Filter, ObjectId } from 'mongodb';
import { clampAuditLimit } from '../audit-limit.ts';
import { nextLink, storedForm, verifyChain } from '../audit-chain.ts';
import { StoreError, type AuditStore, type ChainedAuditEvent, type StoredAuditEvent } from '../types.ts';
import { COLLECTIONS } from './collections.ts';
import { isDuplicateKey } from './errors.ts';

/**
 * An event with its link (seq, hash version `v`, hash); events written before the chain existed have none of them and
 * stay out of it, and events chained before hash versions have no `v`. A chained
 * event's `_id` is its seq, so the primary key lets one event have each seq, on every server (no partial unique index,
 * which FerretDB 1.x refuses); older chained events may have an ObjectId instead.
 */
type AuditDoc = StoredAuditEvent & { _id?: number | ObjectId; seq?: number; v?: number; hash?: string };

/** Appends that lose the race for a seq try again: enough for many instances appending at once. */
const MAX_APPEND_ATTEMPTS = 100;

/** Chained events. */
const CHAINED: Filter<AuditDoc> = { seq: { $exists: true } };

/** Newest first: the chain's order, then events from before the chain (no seq) by their ObjectId. */
const NEWEST_FIRST = { seq: -1, _id: -1 } as const;

export function createAuditStore(db: Db): AuditStore {
  const audit = db.collection<AuditDoc>(COLLECTIONS.audit);

  const readChain = async (afterSeq: number, limit: number) => {
    const docs = await audit
      .find({ seq: { $exists: true, $gt: afterSeq } }, { projection: { _id: 0 } })
      .sort({ seq: 1 })
      .limit(limit)
      .toArray();
    return docs.map(chained);
  };

  return {
    async append(event) {
      const stored = storedForm(event);
      // Optimistic: link to the last event and insert it under its seq; the primary key refuses all but one of the
      // appends that read the same last event, and those read it again.
      for (let attempt = 1; ; attempt += 1) {
        const last = await audit
          .find(CHAINED, { projection: { _id: 0, seq: 1, hash: 1 } })
          .sort({ seq: -1 })
          .limit(1)
          .next();
        const link = nextLink(last ? { seq: last.seq!, hash: last.hash! } : undefined, stored);
        try {
          await audit.insertOne({ _id: link.seq, ...stored, seq: link.seq, v: link.v, hash: link.hash });
          return;
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          if (attempt >= MAX_APPEND_ATTEMPTS) throw new StoreError('conflict', 'audit append lost the race for a seq too often');
          await sleep(Math.random() * Math.min(50, attempt * 2));
        }
      }
    },
    async list({ accountId, type, limit }) {
      const filter: Filter<AuditDoc> = {};
      if (accountId !== undefined) filter.accountId = accountId;
      if (type !== undefined) filter.type = type;
      const docs = await audit
        .find(filter, { projection: { _id: 0, seq: 0, v: 0, hash: 0 } })
        .sort(NEWEST_FIRST)
        .limit(clampAuditLimit(limit))
        .toArray();
      return docs as StoredAuditEvent[];
    },
    async query({ accountId, clientId, outcome, type, from, to, limit }) {
      const filter: Filter<AuditDoc> = { ...CHAINED };
      if (accountId !== undefined) filter.accountId = accountId;
      if (clientId !== undefined) filter.clientId = clientId;
      if (outcome !== undefined) filter.outcome = outcome;
      if (type !== undefined) filter.type = type;
      if (from !== undefined || to !== undefined) {
        filter.at = { ...(from !== undefined && { $gte: from }), ...(to !== undefined && { $lte: to }) };
      }
      const docs = await audit
        .find(filter, { projection: { _id: 0 } })
        .sort({ seq: 1 })
        .limit(clampAuditLimit(limit))
        .toArray();
      return docs.map(chained);
    },
    readChain,
    verify: () => verifyChain(readChain),
  };
}

function chained({ seq, v, hash, ...event }: AuditDoc): ChainedAuditEvent {
  return { seq: seq!, ...(v !== undefined && { v }), hash: hash ?? '', event };
}
