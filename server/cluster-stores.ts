// A worker's stores: the storage the primary prepared before forking (SQLite migrated, MongoDB indexes created or
// checked), opened without preparing it again, so no two processes run migrations at once.
import type { Stores } from '../adapters/types.ts';
import { openMongoStores } from '../adapters/mongodb/index.ts';
import { openSqliteStores } from '../adapters/sqlite/index.ts';
import type { StorageConfig } from '../config/index.ts';

export async function openPreparedStores(storage: StorageConfig): Promise<Stores> {
  // Opening SQLite checks the schema version inside a write transaction: with the primary's migrations done, nothing is applied.
  if (storage.kind === 'sqlite') return openSqliteStores({ file: storage.file });
  return openMongoStores({ uri: storage.uri, dbName: storage.dbName });
}
