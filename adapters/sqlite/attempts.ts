// Consecutive-failure counters in SQLite, moved by one atomic statement each; a limiter's work runs in one transaction.
import type { AttemptOp, AttemptResult, AttemptState, AttemptStore, AttemptWork } from '../types.ts';
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

  const get = (key: string): AttemptState | undefined => {
    const row = byKey.get(key);
    return row && toState(row);
  };
  const recordFailure = (key: string, at: number, expiresAt?: number): AttemptState => {
    if (expiresAt !== undefined) purgeExpired();
    return toState(fail.get(key, at, expiresAt ?? null)!);
  };
  const apply = (op: AttemptOp): AttemptResult => {
    switch (op.op) {
      case 'get':
        return get(op.key);
      case 'recordFailure':
        return recordFailure(op.key, op.at, op.expiresAt);
      case 'release':
        release.run(op.key);
        return undefined;
      case 'reset':
        reset.run(op.key);
        return undefined;
    }
  };
  // IMMEDIATE: the write lock is taken (waiting the busy timeout) before the first read, so the work's reads and
  // writes see no other writer in between, from this process or another; one commit at the end.
  const run = db.transaction((work: AttemptWork<unknown>, first: IteratorResult<readonly AttemptOp[], unknown>) => {
    let step = first;
    while (!step.done) step = work.next(step.value.map(apply));
    return step.value;
  });

  return {
    async get(key) {
      return get(key);
    },
    async recordFailure(key, at, expiresAt) {
      return recordFailure(key, at, expiresAt);
    },
    async release(key) {
      release.run(key);
    },
    async reset(key) {
      reset.run(key);
    },
    async transact<T>(work: AttemptWork<T>) {
      // The first list is built from the work's arguments alone (nothing read yet): work with nothing to do opens no transaction.
      const first = work.next();
      if (first.done) return first.value;
      return run.immediate(work, first) as T;
    },
  };
}

function toState(row: AttemptRow): AttemptState {
  return { failures: row.failures, lastFailureAt: row.last_failure_at };
}
