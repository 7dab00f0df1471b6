// The append-only, hash-chained audit log in SQLite: list newest first, query and read the chain oldest first.
import { clampAuditLimit } from '../audit-limit.ts';
import { GENESIS_HASH, chainHash, nextLink, storedForm, verifyChain } from '../audit-chain.ts';
import type { AuditEvent, AuditStore, ChainedAuditEvent, StoredAuditEvent } from '../types.ts';
import type { SqliteDatabase } from './database.ts';
import type { WriteBatches } from './write-batches.ts';

interface ChainRow {
  seq: number;
  event: string;
  hash: string | null;
}

export function createAuditStore(db: SqliteDatabase, batches: WriteBatches): AuditStore {
  chainUnchained(db);
  const last = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare<[number, number, string, string | null, string, string]>('INSERT INTO audit_events (seq, at, type, account_id, event, hash) VALUES (?, ?, ?, ?, ?, ?)');
  const readPage = db.prepare<[number, number], ChainRow>('SELECT seq, event, hash FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?');
  // Inside a write transaction (write-batches.ts) that reads the last link and inserts the next: appends from other
  // connections wait for it. The event column keeps the hash version with the event's members (events hashed the
  // original way have none).
  const appendLinked = (event: AuditEvent) => {
    const link = nextLink(last.get(), event);
    insert.run(link.seq, event.at, event.type, event.accountId ?? null, JSON.stringify({ ...event, v: link.v }), link.hash);
  };

  const readChain = async (afterSeq: number, limit: number) => readPage.all(afterSeq, limit).map(chained);

  return {
    async append(event) {
      // Copied now: what is hashed is the event as it was asked for, whatever its caller does with it meanwhile.
      const stored = storedForm(event);
      await batches.add(() => appendLinked(stored));
    },
    async list({ accountId, type, limit }) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (accountId !== undefined) {
        where.push('account_id = ?');
        params.push(accountId);
      }
      if (type !== undefined) {
        where.push('type = ?');
        params.push(type);
      }
      const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const rows = db.prepare<Array<string | number>, { event: string }>(`SELECT event FROM audit_events ${filter} ORDER BY seq DESC LIMIT ?`).all(...params, clampAuditLimit(limit));
      return rows.map((row) => versioned(row.event).event);
    },
    async query({ accountId, clientId, outcome, type, from, to, limit }) {
      const conditions: Array<[string, string | number | undefined]> = [
        ['account_id = ?', accountId],
        ["json_extract(event, '$.clientId') = ?", clientId],
        ["json_extract(event, '$.outcome') = ?", outcome],
        ['type = ?', type],
        ['at >= ?', from],
        ['at <= ?', to],
      ];
      const used = conditions.filter((condition): condition is [string, string | number] => condition[1] !== undefined);
      const filter = used.length > 0 ? `WHERE ${used.map(([sql]) => sql).join(' AND ')}` : '';
      const rows = db
        .prepare<Array<string | number>, ChainRow>(`SELECT seq, event, hash FROM audit_events ${filter} ORDER BY seq LIMIT ?`)
        .all(...used.map(([, value]) => value), clampAuditLimit(limit));
      return rows.map(chained);
    },
    readChain,
    verify: () => verifyChain(readChain),
  };
}

function chained(row: ChainRow): ChainedAuditEvent {
  const { v, event } = versioned(row.event);
  return { seq: row.seq, ...(v !== undefined && { v }), hash: row.hash ?? '', event };
}

/** A stored event column: the event, and the hash version kept with it. */
function versioned(json: string): { v?: number; event: StoredAuditEvent } {
  const { v, ...event } = JSON.parse(json) as StoredAuditEvent & { v?: number };
  return { v, event };
}

/** Hashes, in seq order, the events written before the chain existed (the schema lets a NULL hash be set once). */
function chainUnchained(db: SqliteDatabase): void {
  const pending = db.prepare<[], ChainRow>('SELECT seq, event, hash FROM audit_events WHERE hash IS NULL ORDER BY seq');
  if (db.prepare('SELECT 1 FROM audit_events WHERE hash IS NULL LIMIT 1').get() === undefined) return;
  const previous = db.prepare<[number], { hash: string | null }>('SELECT hash FROM audit_events WHERE seq < ? ORDER BY seq DESC LIMIT 1');
  const update = db.prepare<[string, number]>('UPDATE audit_events SET hash = ? WHERE seq = ?');
  db.transaction(() => {
    for (const row of pending.all()) {
      const prevHash = previous.get(row.seq)?.hash ?? GENESIS_HASH;
      update.run(chainHash(prevHash, row.seq, JSON.parse(row.event) as StoredAuditEvent), row.seq);
    }
  }).immediate();
}
