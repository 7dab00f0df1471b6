// Accounts in SQLite: usernames are unique case-insensitively and keep their original spelling.
import { StoreError, type AccountRecord, type AccountStore } from '../types.ts';
import { usernameKey } from '../username-key.ts';
import type { SqliteDatabase } from './database.ts';

interface AccountRow {
  id: string;
  username: string;
  password_hash: string;
  created_at: number;
  disabled_at: number | null;
}

const COLUMNS = 'id, username, password_hash, created_at, disabled_at';

export function createAccountStore(db: SqliteDatabase): AccountStore {
  const insert = db.prepare<[string, string, string, string, number, number | null]>(
    `INSERT INTO accounts (id, username, username_key, password_hash, created_at, disabled_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  );
  const byId = db.prepare<[string], AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE id = ?`);
  const byUsername = db.prepare<[string], AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE username_key = ?`);
  const all = db.prepare<[], AccountRow>(`SELECT ${COLUMNS} FROM accounts ORDER BY username_key`);
  const setHash = db.prepare<[string, string]>('UPDATE accounts SET password_hash = ? WHERE id = ?');
  const setDisabled = db.prepare<[number | null, string]>('UPDATE accounts SET disabled_at = ? WHERE id = ?');
  // Its authenticators and recovery secrets go with it (ON DELETE CASCADE); audit events name it but do not reference it.
  const remove = db.prepare<[string]>('DELETE FROM accounts WHERE id = ?');

  return {
    async create(account) {
      const { changes } = insert.run(account.id, account.username, usernameKey(account.username), account.passwordHash, account.createdAt, account.disabledAt ?? null);
      if (changes === 0) throw new StoreError('conflict', `account id or username already exists: ${account.username}`);
    },
    async findById(id) {
      return toAccount(byId.get(id));
    },
    async findByUsername(username) {
      return toAccount(byUsername.get(usernameKey(username)));
    },
    async list() {
      return all.all().map((row) => toAccount(row)!);
    },
    async setPasswordHash(id, passwordHash) {
      if (setHash.run(passwordHash, id).changes === 0) throw new StoreError('not_found', `no account ${id}`);
    },
    async setDisabled(id, disabledAt) {
      return setDisabled.run(disabledAt ?? null, id).changes === 1;
    },
    async remove(id) {
      return remove.run(id).changes === 1;
    },
  };
}

function toAccount(row: AccountRow | undefined): AccountRecord | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    ...(row.disabled_at !== null && { disabledAt: row.disabled_at }),
  };
}
