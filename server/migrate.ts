// Brings the configured storage's schema up to date on request (`db migrate`) and reports how far it is (`db status`).
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createMongoIndexes, mongoIndexStatus, openMongoStores, redactMongoUri, type IndexRefusal } from '../adapters/mongodb/index.ts';
import { MONGO_INDEXES } from '../adapters/mongodb/indexes.ts';
import { openSqliteStores } from '../adapters/sqlite/index.ts';
import { MIGRATIONS } from '../adapters/sqlite/schema.ts';
import type { StorageConfig } from '../config/index.ts';

export interface StorageState {
  /** Which database, without credentials. */
  where: string;
  /** What `db migrate` would add: SQLite schema versions, or MongoDB indexes (`collection.name`). */
  pending: string[];
  /** Already in place. */
  present: string[];
  /** MongoDB indexes of the right name with other keys or options; `db migrate` refuses to replace them. */
  conflicting: string[];
  /** MongoDB indexes this server refused (FerretDB: no TTL indexes), why, and what holds instead: nothing to do. */
  refused: IndexRefusal[];
}

export interface MigrationResult {
  where: string;
  applied: string[];
  present: string[];
  refused: IndexRefusal[];
}

export async function storageStatus(storage: StorageConfig): Promise<StorageState> {
  if (storage.kind === 'sqlite') {
    const version = sqliteVersion(storage.file);
    return { where: `SQLite ${storage.file}`, pending: versionsAfter(version), present: versionsUpTo(version), conflicting: [], refused: [] };
  }
  const stores = await openMongoStores({ uri: storage.uri, dbName: storage.dbName });
  try {
    const { missing, different, refused } = await mongoIndexStatus(stores.db);
    const absent = new Set([...missing, ...different, ...refused.map((refusal) => refusal.name)]);
    const present = allIndexNames().filter((name) => !absent.has(name));
    return { where: mongoWhere(storage), pending: missing, present, conflicting: different, refused };
  } finally {
    await stores.close();
  }
}

export async function migrateStorage(storage: StorageConfig): Promise<MigrationResult> {
  if (storage.kind === 'sqlite') {
    const before = sqliteVersion(storage.file);
    await openSqliteStores({ file: storage.file }).close(); // opening applies the pending migrations, in one transaction
    const after = sqliteVersion(storage.file);
    return { where: `SQLite ${storage.file}`, applied: versionsUpTo(after).slice(before), present: versionsUpTo(before), refused: [] };
  }
  const stores = await openMongoStores({ uri: storage.uri, dbName: storage.dbName });
  try {
    const { created, existing, refused } = await createMongoIndexes(stores.db);
    return { where: mongoWhere(storage), applied: created, present: existing, refused };
  } finally {
    await stores.close();
  }
}

function mongoWhere(storage: Extract<StorageConfig, { kind: 'mongodb' }>): string {
  return `MongoDB ${redactMongoUri(storage.uri)}, database ${storage.dbName}`;
}

function allIndexNames(): string[] {
  return [...MONGO_INDEXES].flatMap(([collection, specs]) => specs.map((spec) => `${collection}.${spec.name}`));
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
