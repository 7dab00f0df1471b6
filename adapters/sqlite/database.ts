// Opens the SQLite file (WAL, busy timeout, foreign keys) and brings its schema up to date.
//
// Several processes may open the same file (a cluster's workers): WAL lets readers go on while one writes, and a writer
// that finds the file locked waits up to BUSY_TIMEOUT_MS for it. That wait only happens where a transaction asks for the
// write lock before it reads: a DEFERRED transaction that reads and then writes after another process committed fails
// at once (SQLITE_BUSY_SNAPSHOT, no waiting), so every transaction that writes here is IMMEDIATE (`.immediate(...)`),
// and single statements take the lock as they start. test/contract/sqlite-processes.test.ts writes from several
// processes at once.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../types.ts';
import { MIGRATIONS } from './schema.ts';

export type SqliteDatabase = Database.Database;

const BUSY_TIMEOUT_MS = 5000;

export function openDatabase(file: string): SqliteDatabase {
  const db = connect(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function connect(file: string): SqliteDatabase {
  try {
    if (file !== ':memory:' && file !== '') mkdirSync(dirname(file), { recursive: true });
    return new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new StoreError('unavailable', `cannot open SQLite database ${file}: ${(error as Error).message}`);
  }
}

function migrate(db: SqliteDatabase): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const current = db.prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_version').get()?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new StoreError('unavailable', `database schema version ${current} is newer than this release supports (${MIGRATIONS.length})`);
    }
    const record = db.prepare<[number, number]>('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
    MIGRATIONS.slice(current).forEach((sql, index) => {
      db.exec(sql);
      record.run(current + index + 1, Math.floor(Date.now() / 1000));
    });
  }).immediate();
}
