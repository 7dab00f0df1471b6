// Runs the stores contract on a real MongoDB server when MONGODB_URI is set (a fresh database per run, dropped after).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoIndexes, mongoIndexStatus, openMongoStores, type MongoStores } from '../../adapters/mongodb/index.ts';
import { MONGO_INDEXES } from '../../adapters/mongodb/indexes.ts';
import { ACCOUNT_MODELS } from '../../adapters/account-models.ts';
import { describeStoresContract } from './stores.contract.ts';
import { loadConfig } from '../../config/index.ts';
import { generateKeyMaterial, serializeKeys } from '../../config/keys.ts';
import { openStores } from '../../server/storage.ts';

const uri = process.env.MONGODB_URI;
const dbName = `stepup_contract_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

describe('the MongoDB index specification', () => {
  it('finds every oidc model that names an account by account, and recovery secrets by kind and hash (unique) and by account', () => {
    for (const model of ACCOUNT_MODELS) {
      expect(MONGO_INDEXES.get(`oidc_${model}`), model).toContainEqual({ name: 'by_account', key: { accountId: 1 } });
    }
    expect(MONGO_INDEXES.get('oidc_ClientCredentials')?.map((spec) => spec.name)).not.toContain('by_account');
    expect(MONGO_INDEXES.get('recovery_secrets')).toEqual([
      { name: 'unique_kind_hash', key: { kind: 1, hash: 1 }, unique: true },
      { name: 'by_account', key: { accountId: 1, kind: 1 } },
    ]);
  });
});

// vitest's default reporter counts skipped tests without naming their suite: say why, once, in its output.
if (!uri) console.warn('MONGODB_URI not set: MongoDB contract skipped (README, "MongoDB", says how to run it against a server)');

describe.skipIf(!uri)(uri ? `MongoDB (${dbName})` : 'MONGODB_URI not set: MongoDB contract skipped', () => {
  let admin: MongoStores;

  beforeAll(async () => {
    admin = await openMongoStores({ uri: uri!, dbName });
    await createMongoIndexes(admin.db);
  });

  afterAll(async () => {
    await admin?.db.dropDatabase();
    await admin?.close();
  });

  /** Each contract test starts from empty collections (with their indexes) in this run's database. */
  async function open({ now }: { now: () => number }): Promise<MongoStores> {
    const stores = await openMongoStores({ uri: uri!, dbName, now });
    await Promise.all([...MONGO_INDEXES.keys()].map((name) => stores.db.collection(name).deleteMany({})));
    return stores;
  }

  describeStoresContract('MongoDB', open);

  describe('indexes', () => {
    it('creates every index once: a second migrate finds them all, and the check sees none missing', async () => {
      const again = await createMongoIndexes(admin.db);
      expect(again.created).toEqual([]);
      expect(again.existing).toContain('accounts.unique_username_key');
      expect(again.existing).toContain('oidc_Session.expiry_ttl');
      expect(again.existing).toContain('oidc_Interaction.by_account');
      expect(again.existing).toContain('recovery_secrets.unique_kind_hash');
      expect(await mongoIndexStatus(admin.db)).toEqual({ missing: [], different: [] });
    });

    it('reports a missing index, and a migrate restores it', async () => {
      await admin.db.collection('oidc_AuthorizationCode').dropIndex('by_grant');
      expect((await mongoIndexStatus(admin.db)).missing).toEqual(['oidc_AuthorizationCode.by_grant']);
      expect((await createMongoIndexes(admin.db)).created).toEqual(['oidc_AuthorizationCode.by_grant']);
    });

    it('makes a production start refuse a database without them, naming db migrate', async () => {
      const empty = `${dbName}_empty`;
      const keys = serializeKeys(await generateKeyMaterial());
      const config = await loadConfig({
        NODE_ENV: 'production',
        ISSUER: 'https://id.example',
        DATA_DIR: '/nonexistent-stepup-data',
        MONGODB_URI: uri!,
        MONGODB_DB: empty,
        STEPUP_JWKS: keys.jwks,
        STEPUP_COOKIE_KEYS: keys.cookieKeys,
        STEPUP_TOTP_KEYS: keys.totpKeys,
      });
      try {
        await expect(openStores(config)).rejects.toThrow(/lacks indexes the provider relies on \(.*accounts\.unique_username_key.*\).*db migrate/);
      } finally {
        await admin.db.client.db(empty).dropDatabase();
      }
    });

    it('keeps an expired document out of every read even before the TTL monitor deletes it', async () => {
      const stores = await open({ now: () => Math.floor(Date.now() / 1000) });
      try {
        const sessions = new stores.OidcAdapter('Session');
        await sessions.upsert('ttl-1', { uid: 'ttl-uid' }, 1);
        // Expired on the wall clock, as a document the TTL monitor has not reached yet (it runs every 60 s).
        await stores.db.collection<{ _id: string }>('oidc_Session').updateOne({ _id: 'ttl-1' }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
        expect(await sessions.find('ttl-1')).toBeUndefined();
        expect(await sessions.findByUid('ttl-uid')).toBeUndefined();
      } finally {
        await stores.close();
      }
    });
  });
});
