// The storage engine the configuration names: the one place that chooses between them.
import type { StorageConfig } from '../config/index.ts';
import { mongoEngine } from './mongodb/engine.ts';
import { sqliteEngine } from './sqlite/engine.ts';
import type { StorageEngine } from './storage-engine.ts';

export function storageEngine(storage: StorageConfig): StorageEngine {
  return storage.kind === 'sqlite' ? sqliteEngine(storage.file) : mongoEngine(storage.uri, storage.dbName);
}
