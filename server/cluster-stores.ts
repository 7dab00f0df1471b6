// A worker's stores: the storage the primary prepared before forking (SQLite migrated, MongoDB indexes created or
// checked), opened without preparing it again, so no two processes run migrations at once.
import { storageEngine } from '../adapters/engines.ts';
import type { Stores } from '../adapters/types.ts';
import type { StorageConfig } from '../config/index.ts';

export async function openPreparedStores(storage: StorageConfig): Promise<Stores> {
  // Opening SQLite checks the schema version inside a write transaction: with the primary's migrations done, nothing is applied.
  return storageEngine(storage).open('prepared');
}
