// Maps better-sqlite3's errors to StoreError: a database that is locked, read-only, out of space or failing underneath is
// 'unavailable' (it passes by itself); every other error, a bug or bad data, stays as it is.
import Database from 'better-sqlite3';
import { StoreError } from '../types.ts';

/** SQLite result codes (extended ones included) of failures that pass when the database is back. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|READONLY|IOERR|FULL|CANTOPEN|PROTOCOL|NOLFS)(_|$)/;

export function sqliteStoreError(error: unknown): unknown {
  if (error instanceof Database.SqliteError && UNAVAILABLE.test(error.code)) {
    return new StoreError('unavailable', `SQLite database unavailable (${error.code}): ${error.message}`, { cause: error });
  }
  return error;
}
