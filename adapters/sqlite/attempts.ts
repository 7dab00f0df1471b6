// Consecutive-failure counters in SQLite, moved by one atomic statement each.
import type { AttemptState, AttemptStore } from '../types.ts';
import type { SqliteDatabase } from './database.ts';

interface AttemptRow {
  failures: number;
  last_failure_at: number;
}

export function createAttemptStore(db: SqliteDatabase, purgeExpired: () => void = () => {}): AttemptStore {
  const byKey = db.prepare<[string], AttemptRow>('SELECT failures, last_failure_at FROM attempts WHERE key = ?');
  const fail = db.prepare<[string, number, number | null], AttemptRow>(
    `INSERT INTO attempts (key, failures, last_failure_at, expires_at) VALUES (?, 1, ?, ?)
     ON CONFLICT (key) DO UPDATE SET failures = failures + 1, last_failure_at = excluded.last_failure_at, expires_at = excluded.expires_at
     RETURNING failures, last_failure_at`,
  );
  const release = db.prepare<[string]>('UPDATE attempts SET failures = failures - 1 WHERE key = ? AND failures > 0');
  const reset = db.prepare<[string]>('DELETE FROM attempts WHERE key = ?');

  return {
    async get(key) {
      const row = byKey.get(key);
      return row && toState(row);
    },
    async recordFailure(key, at, expiresAt) {
      if (expiresAt !== undefined) purgeExpired();
      return toState(fail.get(key, at, expiresAt ?? null)!);
    },
    async release(key) {
      release.run(key);
    },
    async reset(key) {
      reset.run(key);
    },
  };
}

function toState(row: AttemptRow): AttemptState {
  return { failures: row.failures, lastFailureAt: row.last_failure_at };
}
