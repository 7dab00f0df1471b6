// An account's oidc-provider sessions in SQLite, found by the account_id the oidc adapter writes; revoked in one transaction.
import { byLogin, toSessionSummary } from '../session-summary.ts';
import type { AccountSessionStore } from '../types.ts';
import type { SqliteDatabase } from './database.ts';

interface SessionRow {
  payload: string;
  expires_at: number | null;
}

interface Scope {
  account: string;
  keep: string | null;
}

export function createAccountSessionStore(db: SqliteDatabase): AccountSessionStore {
  const live = db.prepare<[string, number], SessionRow>(
    `SELECT payload, expires_at FROM oidc_models
     WHERE account_id = ? AND model = 'Session' AND (expires_at IS NULL OR expires_at > ?)`,
  );
  const ending = "account_id = @account AND model = 'Session' AND (@keep IS NULL OR uid IS NOT @keep)";
  // The factor proofs of the sessions that end, and the account's proofs under any other session but the one kept.
  const endEvents = db.prepare<Scope>(
    `DELETE FROM auth_events WHERE session_uid IN (SELECT uid FROM oidc_models WHERE ${ending})
       OR (account_id = @account AND (@keep IS NULL OR session_uid IS NOT @keep))`,
  );
  const endSessions = db.prepare<Scope>(`DELETE FROM oidc_models WHERE ${ending}`);
  const endInteractions = db.prepare<Scope>(
    `DELETE FROM oidc_models WHERE account_id = @account AND model = 'Interaction'
       AND (@keep IS NULL OR json_extract(payload, '$.session.uid') IS NOT @keep)`,
  );
  const revokeGrants = db.prepare<[string]>("DELETE FROM oidc_models WHERE account_id = ? AND model = 'Grant'");
  const revokeTokens = db.prepare<[string]>("DELETE FROM oidc_models WHERE account_id = ? AND model NOT IN ('Session', 'Interaction', 'Grant')");
  const revoke = db.transaction((scope: Scope) => {
    endEvents.run(scope);
    endInteractions.run(scope);
    return {
      sessions: endSessions.run(scope).changes,
      grants: revokeGrants.run(scope.account).changes,
      tokens: revokeTokens.run(scope.account).changes,
    };
  });

  return {
    async list(accountId, now) {
      return live
        .all(accountId, now)
        .map((row) => toSessionSummary(JSON.parse(row.payload), accountId, row.expires_at ?? undefined))
        .sort(byLogin);
    },
    async revoke(accountId, options) {
      return revoke.immediate({ account: accountId, keep: options?.keepSessionUid ?? null });
    },
  };
}
