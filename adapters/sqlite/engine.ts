// The embedded engine: opening migrates the file (in one transaction, so concurrent openers apply each version once);
// `db status` reads the recorded version without creating anything.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { StorageEngine } from '../storage-engine.ts';
import { openSqliteStores } from './index.ts';
import { MIGRATIONS } from './schema.ts';

export function sqliteEngine(file: string): StorageEngine {
  const where = `SQLite ${file}`;
  return {
    async open() {
      return openSqliteStores({ file });
    },
    async status() {
      const version = sqliteVersion(file);
      return { where, pending: versionsAfter(version), present: versionsUpTo(version), conflicting: [], refused: [] };
    },
    async migrate() {
      const before = sqliteVersion(file);
      await openSqliteStores({ file }).close(); // opening applies the pending migrations, in one transaction
      const after = sqliteVersion(file);
      return { where, applied: versionsUpTo(after).slice(before), present: versionsUpTo(before), refused: [] };
    },
  };
}

/** The schema version recorded in the file; 0 for a file (or table) that does not exist yet. */
function sqliteVersion(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
    if (!table) return 0;
    return db.prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_version').get()?.version ?? 0;
  } finally {
    db.close();
  }
}

function versionsUpTo(version: number): string[] {
  return Array.from({ length: Math.min(version, MIGRATIONS.length) }, (_, index) => `schema version ${index + 1}`);
}

function versionsAfter(version: number): string[] {
  return Array.from({ length: Math.max(0, MIGRATIONS.length - version) }, (_, index) => `schema version ${version + index + 1}`);
}
