// Authenticators in SQLite, changed only by their owner; TOTP steps are accepted once, atomically.
import Database from 'better-sqlite3';
import { StoreError, type AuthenticatorKind, type AuthenticatorRecord, type AuthenticatorStore, type CoolOff } from '../types.ts';
import type { SqliteDatabase } from './database.ts';

interface AuthenticatorRow {
  id: string;
  account_id: string;
  kind: AuthenticatorKind;
  label: string;
  data: string;
  created_at: number;
  last_used_at: number | null;
  last_used_step: number | null;
  credential_id: string | null;
  sign_count: number | null;
  cool_off: string | null;
}

const COLUMNS = 'id, account_id, kind, label, data, created_at, last_used_at, last_used_step, credential_id, sign_count, cool_off';

export function createAuthenticatorStore(db: SqliteDatabase): AuthenticatorStore {
  const insert = db.prepare<[string, string, string, string, string, number, number | null, number | null, string | null, number | null, string | null]>(
    `INSERT INTO authenticators (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  const byCredential = db.prepare<[string], AuthenticatorRow>(`SELECT ${COLUMNS} FROM authenticators WHERE credential_id = ?`);
  const advanceCount = db.prepare<[number, number, string, number, number]>(
    `UPDATE authenticators SET sign_count = ?, last_used_at = ?
     WHERE id = ? AND (sign_count IS NULL OR sign_count < ? OR (sign_count = 0 AND ? = 0))`,
  );
  const byId = db.prepare<[string], AuthenticatorRow>(`SELECT ${COLUMNS} FROM authenticators WHERE id = ?`);
  const byAccount = db.prepare<[string], AuthenticatorRow>(`SELECT ${COLUMNS} FROM authenticators WHERE account_id = ? ORDER BY created_at, rowid`);
  const rename = db.prepare<[string, string, string]>('UPDATE authenticators SET label = ? WHERE id = ? AND account_id = ?');
  const remove = db.prepare<[string, string]>('DELETE FROM authenticators WHERE id = ? AND account_id = ?');
  const removeAll = db.prepare<[string]>('DELETE FROM authenticators WHERE account_id = ?');
  const consumeStep = db.prepare<[number, number, string, number]>(
    `UPDATE authenticators SET last_used_step = ?, last_used_at = ?
     WHERE id = ? AND (last_used_step IS NULL OR last_used_step < ?)`,
  );

  const insertRow = (a: AuthenticatorRecord): number => {
    try {
      return insert.run(
        a.id,
        a.accountId,
        a.kind,
        a.label,
        JSON.stringify(a.data),
        a.createdAt,
        a.lastUsedAt ?? null,
        a.lastUsedStep ?? null,
        a.credentialId ?? null,
        a.signCount ?? null,
        a.coolOff ? JSON.stringify(a.coolOff) : null,
      ).changes;
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new StoreError('not_found', `no account ${a.accountId}`);
      }
      if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new StoreError('conflict', 'this credential is already registered');
      }
      throw error;
    }
  };

  return {
    async add(a) {
      if (insertRow(a) === 0) throw new StoreError('conflict', `authenticator ${a.id} already exists`);
    },
    async get(id) {
      return toAuthenticator(byId.get(id));
    },
    async listByAccount(accountId) {
      return byAccount.all(accountId).map((row) => toAuthenticator(row)!);
    },
    async rename(id, accountId, label) {
      return rename.run(label, id, accountId).changes === 1;
    },
    async remove(id, accountId) {
      return remove.run(id, accountId).changes === 1;
    },
    async consumeTotpStep(id, step, at) {
      return consumeStep.run(step, at, id, step).changes === 1;
    },
    async findByCredentialId(credentialId) {
      return toAuthenticator(byCredential.get(credentialId));
    },
    async advanceSignCount(id, signCount, at) {
      return advanceCount.run(signCount, at, id, signCount, signCount).changes === 1;
    },
    async removeAllForAccount(accountId) {
      return removeAll.run(accountId).changes;
    },
  };
}

function toAuthenticator(row: AuthenticatorRow | undefined): AuthenticatorRecord | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind,
    label: row.label,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
    ...(row.last_used_at !== null && { lastUsedAt: row.last_used_at }),
    ...(row.last_used_step !== null && { lastUsedStep: row.last_used_step }),
    ...(row.credential_id !== null && { credentialId: row.credential_id }),
    ...(row.sign_count !== null && { signCount: row.sign_count }),
    ...(row.cool_off !== null && { coolOff: JSON.parse(row.cool_off) as CoolOff }),
  };
}
