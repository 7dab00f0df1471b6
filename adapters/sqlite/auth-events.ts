// A session's verified factors in SQLite, each kept until its expiry; re-appending an event is a no-op.
import type { AuthEvent, Factor } from '../../policy/types.ts';
import type { AuthEventStore } from '../types.ts';
import type { SqliteDatabase } from './database.ts';
import type { WriteBatches } from './write-batches.ts';

interface AuthEventRow {
  id: string;
  account_id: string;
  factor: Factor;
  amr: string;
  at: number;
  authenticator_id: string | null;
}

export function createAuthEventStore(db: SqliteDatabase, batches: WriteBatches, purgeExpired: () => void): AuthEventStore {
  const insert = db.prepare<[string, string, string, string, string, number, string | null, number]>(
    `INSERT INTO auth_events (session_uid, id, account_id, factor, amr, at, authenticator_id, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_uid, id) DO NOTHING`,
  );
  const bySession = db.prepare<[string, number], AuthEventRow>(
    `SELECT id, account_id, factor, amr, at, authenticator_id FROM auth_events
     WHERE session_uid = ? AND expires_at > ? ORDER BY at, rowid`,
  );
  // Rows made now, written in the next shared transaction (write-batches.ts).
  const append = (sessionUid: string, events: AuthEvent[], expiresAt: number) => {
    const rows = events.map((e) => [sessionUid, e.id, e.accountId, e.factor, JSON.stringify(e.amr), e.at, e.authenticatorId ?? null, expiresAt] as const);
    return batches.add(() => {
      for (const row of rows) insert.run(...row);
    });
  };

  return {
    async append(sessionUid, events, expiresAt) {
      purgeExpired();
      await append(sessionUid, events, expiresAt);
    },
    async listBySession(sessionUid, now) {
      return bySession.all(sessionUid, now).map(toAuthEvent);
    },
  };
}

function toAuthEvent(row: AuthEventRow): AuthEvent {
  return {
    id: row.id,
    accountId: row.account_id,
    factor: row.factor,
    amr: JSON.parse(row.amr) as string[],
    at: row.at,
    ...(row.authenticator_id !== null && { authenticatorId: row.authenticator_id }),
  };
}
