// The append-only audit log in SQLite, read newest first.
import { clampAuditLimit } from '../audit-limit.ts';
import type { AuditEvent, AuditStore } from '../types.ts';
import type { SqliteDatabase } from './database.ts';

export function createAuditStore(db: SqliteDatabase): AuditStore {
  const insert = db.prepare<[number, string, string | null, string]>(
    'INSERT INTO audit_events (at, type, account_id, event) VALUES (?, ?, ?, ?)',
  );

  return {
    async append(event) {
      insert.run(event.at, event.type, event.accountId ?? null, JSON.stringify(event));
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
      const rows = db
        .prepare<Array<string | number>, { event: string }>(`SELECT event FROM audit_events ${filter} ORDER BY seq DESC LIMIT ?`)
        .all(...params, clampAuditLimit(limit));
      return rows.map((row) => JSON.parse(row.event) as AuditEvent);
    },
  };
}
