// Opens the configured storage: the embedded SQLite file under the data directory, or MongoDB when MONGODB_URI is set.
import type { Stores } from '../adapters/types.ts';
import { openSqliteStores } from '../adapters/sqlite/index.ts';
import { createMongoIndexes, mongoIndexStatus, openMongoStores, type MongoStores } from '../adapters/mongodb/index.ts';
import { ConfigError, type AppConfig } from '../config/index.ts';

export async function openStores(config: AppConfig): Promise<Stores> {
  const { storage } = config;
  if (storage.kind === 'sqlite') return openSqliteStores({ file: storage.file });
  const stores = await openMongoStores({ uri: storage.uri, dbName: storage.dbName });
  try {
    await prepareIndexes(stores, storage.dbName, config.production);
    return stores;
  } catch (error) {
    await stores.close();
    throw error;
  }
}

/**
 * Production never changes the database's indexes at start (several instances starting at once, and an operator who
 * decides when); it refuses to start without them, since uniqueness and lookups depend on them. Development creates
 * whatever is missing.
 */
async function prepareIndexes(stores: MongoStores, dbName: string, production: boolean): Promise<void> {
  if (!production) {
    await createMongoIndexes(stores.db);
    return;
  }
  const { missing, different } = await mongoIndexStatus(stores.db);
  if (missing.length + different.length > 0) {
    throw new ConfigError(
      `MongoDB database "${dbName}" lacks indexes the provider relies on (${[...missing, ...different].join(', ')}): ` +
        'run `npm run cli -- db migrate` with the same MONGODB_URI and MONGODB_DB, then start again',
    );
  }
}
