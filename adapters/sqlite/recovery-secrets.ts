// Recovery secrets in SQLite: a new set replaces the old one in one transaction, and each secret is used once, by a conditional UPDATE.
import Database from 'better-sqlite3';
import { summarizeSecrets, type StoredSecret } from '../recovery-summary.ts';
import { StoreError, type RecoverySecretKind, type RecoverySecretRecord, type RecoverySecretStore } from '../types.ts';
import type { SqliteDatabase } from './database.ts';

interface SecretRow {
  set_id: string;
  created_at: number;
  expires_at: number | null;
  used_at: number | null;
}

export function createRecoverySecretStore(db: SqliteDatabase): RecoverySecretStore {
  const removeKind = db.prepare<[string, string]>('DELETE FROM recovery_secrets WHERE account_id = ? AND kind = ?');
  const removeEvery = db.prepare<[string]>('DELETE FROM recovery_secrets WHERE account_id = ?');
  const insert = db.prepare<[string, string, string, string, number, number | null, number | null]>(
    `INSERT INTO recovery_secrets (kind, hash, account_id, set_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  // One statement decides: of concurrent uses of a secret, only the first finds it unused.
  const consume = db.prepare<{ at: number; kind: string; hash: string; account: string | null }, { account_id: string }>(
    `UPDATE recovery_secrets SET used_at = @at
     WHERE kind = @kind AND hash = @hash AND used_at IS NULL AND (expires_at IS NULL OR expires_at > @at)
       AND (@account IS NULL OR account_id = @account)
     RETURNING account_id`,
  );
  const ofAccount = db.prepare<[string, string], SecretRow>('SELECT set_id, created_at, expires_at, used_at FROM recovery_secrets WHERE account_id = ? AND kind = ?');
  const replace = db.transaction((accountId: string, kind: RecoverySecretKind, secrets: RecoverySecretRecord[]) => {
    removeKind.run(accountId, kind);
    for (const s of secrets) insert.run(kind, s.hash, accountId, s.setId, s.createdAt, s.expiresAt ?? null, s.usedAt ?? null);
  });

  return {
    async replace(accountId, kind, secrets) {
      try {
        replace.immediate(accountId, kind, secrets);
      } catch (error) {
        if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
          throw new StoreError('not_found', `no account ${accountId}`);
        }
        if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new StoreError('conflict', `a ${kind} with this hash already exists`);
        }
        throw error;
      }
    },
    async consume(kind, hash, at, accountId) {
      return consume.get({ at, kind, hash, account: accountId ?? null })?.account_id;
    },
    async summary(accountId, kind, now) {
      return summarizeSecrets(ofAccount.all(accountId, kind).map(toStored), now);
    },
    async removeAll(accountId, kind) {
      if (kind === undefined) removeEvery.run(accountId);
      else removeKind.run(accountId, kind);
    },
  };
}

function toStored(row: SecretRow): StoredSecret {
  return {
    setId: row.set_id,
    createdAt: row.created_at,
    ...(row.expires_at !== null && { expiresAt: row.expires_at }),
    ...(row.used_at !== null && { usedAt: row.used_at }),
  };
}
