// The resource registry contract on SQLite, and on MongoDB (or FerretDB, as CI runs it) when MONGODB_URI is set.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { openDatabase } from '../../adapters/sqlite/database.ts';
import { createResourceStore } from '../../adapters/sqlite/resources.ts';
import { createMongoIndexes, openMongoStores, type MongoStores } from '../../adapters/mongodb/index.ts';
import { COLLECTIONS } from '../../adapters/mongodb/collections.ts';
import { describeResourceStoreContract } from './resources.contract.ts';

describeResourceStoreContract('SQLite', async () => openSqliteStores({ file: ':memory:' }));

describe('SQLite resource registry, a row written without a format', () => {
  it('reads as jwt (the column default), as resources got JWTs before formats existed', async () => {
    const db = openDatabase(':memory:');
    try {
      db.prepare("INSERT INTO resources (indicator, scope, access_token_ttl, dpop, min_acr, alg, created_at) VALUES ('https://old.example', 'read', NULL, 0, NULL, 'ES256', 1)").run();
      expect(await createResourceStore(db).get('https://old.example')).toMatchObject({ indicator: 'https://old.example', format: 'jwt' });
    } finally {
      db.close();
    }
  });
});

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

  it('reads a document written without a format as jwt, as resources got JWTs before formats existed', async () => {
    const collection = admin.db.collection<{ _id: string }>(COLLECTIONS.resources);
    await collection.deleteMany({});
    await collection.insertOne({ _id: 'https://old.example', scope: 'read', dpop: false, alg: 'ES256', createdAt: 1 } as { _id: string });
    expect(await admin.resources.get('https://old.example')).toEqual({ indicator: 'https://old.example', scope: 'read', dpop: false, format: 'jwt', alg: 'ES256', createdAt: 1 });
    await collection.deleteMany({});
  });
});
