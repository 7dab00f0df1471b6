// Opens the configured storage (the embedded SQLite file under the data directory, or MongoDB when MONGODB_URI is set)
// through its engine, which prepares or checks the schema (adapters/storage-engine.ts).
import { storageEngine } from '../adapters/engines.ts';
import type { Stores } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';

export async function openStores(config: Pick<AppConfig, 'storage' | 'production'>): Promise<Stores> {
  return storageEngine(config.storage).open(config.production ? 'check' : 'migrate');
}
