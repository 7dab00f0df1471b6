// The resource registry contract on SQLite, and on MongoDB (or FerretDB, as CI runs it) when MONGODB_URI is set.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { createMongoIndexes, openMongoStores, type MongoStores } from '../../adapters/mongodb/index.ts';
import { COLLECTIONS } from '../../adapters/mongodb/collections.ts';
import { describeResourceStoreContract } from './resources.contract.ts';

describeResourceStoreContract('SQLite', async () => openSqliteStores({ file: ':memory:' }));

const uri = process.env.MONGODB_URI;
const dbName = `stepup_resources_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

describe.skipIf(!uri)(uri ? `MongoDB protocol (${dbName})` : 'MONGODB_URI not set: MongoDB resource registry skipped', () => {
  let admin: MongoStores;
  beforeAll(async () => {
    admin = await openMongoStores({ uri: uri!, dbName });
    await createMongoIndexes(admin.db);
  });
  afterAll(async () => {
    await admin?.db.dropDatabase();
    await admin?.close();
  });

  describeResourceStoreContract('MongoDB', async () => {
    const stores = await openMongoStores({ uri: uri!, dbName });
    await stores.db.collection(COLLECTIONS.resources).deleteMany({});
    return stores;
  });
});
