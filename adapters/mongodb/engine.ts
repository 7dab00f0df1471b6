// The MongoDB engine: indexes are its schema. Development creates missing ones at start; production only checks them
// (several instances starting at once, and an operator who decides when) and refuses to start without them, since
// uniqueness and lookups depend on them; `db migrate` creates them.
import { ConfigError } from '../../config/errors.ts';
import type { StorageEngine } from '../storage-engine.ts';
import { redactMongoUri } from './connect.ts';
import { openMongoStores, type MongoStores } from './index.ts';
import { MONGO_INDEXES, createMongoIndexes, mongoIndexStatus } from './indexes.ts';

export function mongoEngine(uri: string, dbName: string): StorageEngine {
  const where = `MongoDB ${redactMongoUri(uri)}, database ${dbName}`;
  /** Runs `use` on freshly opened stores and closes them whatever happens. */
  const withStores = async <T>(use: (stores: MongoStores) => Promise<T>): Promise<T> => {
    const stores = await openMongoStores({ uri, dbName });
    try {
      return await use(stores);
    } finally {
      await stores.close();
    }
  };
  return {
    async open(schema) {
      const stores = await openMongoStores({ uri, dbName });
      try {
        if (schema !== 'prepared') await prepareIndexes(stores, dbName, schema);
        return stores;
      } catch (error) {
        await stores.close();
        throw error;
      }
    },
    status: () =>
      withStores(async (stores) => {
        const { missing, different, refused } = await mongoIndexStatus(stores.db);
        const absent = new Set([...missing, ...different, ...refused.map((refusal) => refusal.name)]);
        const present = allIndexNames().filter((name) => !absent.has(name));
        return { where, pending: missing, present, conflicting: different, refused };
      }),
    migrate: () =>
      withStores(async (stores) => {
        const { created, existing, refused } = await createMongoIndexes(stores.db);
        return { where, applied: created, present: existing, refused };
      }),
  };
}

async function prepareIndexes(stores: MongoStores, dbName: string, schema: 'migrate' | 'check'): Promise<void> {
  if (schema === 'migrate') {
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

function allIndexNames(): string[] {
  return [...MONGO_INDEXES].flatMap(([collection, specs]) => specs.map((spec) => `${collection}.${spec.name}`));
}
