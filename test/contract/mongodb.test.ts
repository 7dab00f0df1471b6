// Runs the stores contract on a real MongoDB-protocol server when MONGODB_URI is set (a fresh database per run, dropped
// after): MongoDB, or FerretDB as CI runs it (.ci/run), with what FerretDB lacks handled as docs/operations.md says.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoIndexes, mongoIndexStatus, openMongoStores, serverIdentity, type MongoStores, type ServerIdentity } from '../../adapters/mongodb/index.ts';
import { COLLECTIONS, INDEX_REFUSALS } from '../../adapters/mongodb/collections.ts';
import { CHAIN_VERSION, GENESIS_HASH, chainHash } from '../../adapters/audit-chain.ts';
import type { AuditEvent } from '../../adapters/types.ts';
import { collectionsWithoutTtl } from '../../adapters/mongodb/expiry-purge.ts';
import { MONGO_INDEXES } from '../../adapters/mongodb/indexes.ts';
import { ACCOUNT_MODELS } from '../../adapters/account-models.ts';
import { describeStoresContract, type EngineLimits } from './stores.contract.ts';
import { loadConfig } from '../../config/index.ts';
import { generateKeyMaterial, serializeKeys } from '../../config/keys.ts';
import { openStores } from '../../server/storage.ts';

const uri = process.env.MONGODB_URI;
const dbName = `stepup_contract_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

/** The collections with a TTL index in the specification. */
const TTL_COLLECTIONS = [...MONGO_INDEXES].filter(([, specs]) => specs.some((spec) => spec.expireAfterSeconds !== undefined)).map(([name]) => name);

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

  it('asks for no partial or sparse index: uniqueness comes from keys every document has, or from _id', () => {
    for (const [collection, specs] of MONGO_INDEXES) {
      for (const spec of specs) expect(spec, `${collection}.${spec.name}`).not.toHaveProperty('partialFilterExpression');
      for (const spec of specs) expect(spec, `${collection}.${spec.name}`).not.toHaveProperty('sparse');
    }
  });
});

// vitest's default reporter counts skipped tests without naming their suite: say why, once, in its output.
if (!uri) console.warn('MONGODB_URI not set: MongoDB contract skipped (docs/testing.md says how to run it against FerretDB or MongoDB)');

/** Which server MONGODB_URI names, asked before the suites are registered (a limit skips tests by name). */
async function identify(): Promise<ServerIdentity> {
  const client = await MongoClient.connect(uri!, { serverSelectionTimeoutMS: 10_000 });
  try {
    return await serverIdentity(client.db(dbName));
  } finally {
    await client.close();
  }
}
const server = uri ? await identify() : undefined;
const limits: EngineLimits = server?.kind === 'FerretDB' ? { lostConcurrentUpdates: `${server.label} applies an update as a read, then a write of the whole document (FerretDB/FerretDB#3040)` } : {};

describe.skipIf(!uri)(uri ? `${server!.label} (${dbName})` : 'MONGODB_URI not set: MongoDB contract skipped', () => {
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

  describeStoresContract(server?.label ?? 'MongoDB', open, limits);

  describe('the audit chain across hash versions', () => {
    const events: AuditEvent[] = Array.from({ length: 4 }, (_, i) => ({ at: 1000 + i, type: 'factor.verify', outcome: 'success', factor: 'pwd', accountId: `acc-${i + 1}` }));

    it('verifies links chained before hash versions followed by RFC 8785 links, and finds an edit in either', async () => {
      const stores = await open({ now: () => 1 });
      try {
        // Two events as the releases before hash versions stored them: _id and seq, hash over the sorted-keys JSON, no v.
        const raw = stores.db.collection<Record<string, unknown> & { _id: number }>(COLLECTIONS.audit);
        let prev = GENESIS_HASH;
        for (const [index, event] of events.slice(0, 2).entries()) {
          const seq = index + 1;
          const hash = chainHash(prev, seq, event);
          await raw.insertOne({ _id: seq, ...event, seq, hash });
          prev = hash;
        }
        for (const event of events.slice(2)) await stores.audit.append(event);
        expect((await stores.audit.readChain(0, 10)).map((entry) => [entry.seq, entry.v])).toEqual([
          [1, undefined],
          [2, undefined],
          [3, CHAIN_VERSION],
          [4, CHAIN_VERSION],
        ]);
        expect(await stores.audit.list({ limit: 10 })).toEqual([...events].reverse());
        expect(await stores.audit.verify()).toEqual({ ok: true, count: 4 });

        await raw.updateOne({ _id: 4 }, { $unset: { v: '' } });
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/hash mismatch/) });
        await raw.updateOne({ _id: 1 }, { $set: { outcome: 'failure' } });
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 1, reason: expect.stringMatching(/hash mismatch/) });
      } finally {
        await stores.close();
      }
    });
  });

  describe('indexes', () => {
    /** A production start on the database, as `npm start` opens it. */
    async function productionStart(database: string) {
      const keys = serializeKeys(await generateKeyMaterial());
      const config = await loadConfig({
        NODE_ENV: 'production',
        ISSUER: 'https://id.example',
        DATA_DIR: '/nonexistent-stepup-data',
        MONGODB_URI: uri!,
        MONGODB_DB: database,
        STEPUP_JWKS: keys.jwks,
        STEPUP_COOKIE_KEYS: keys.cookieKeys,
        STEPUP_TOTP_KEYS: keys.totpKeys,
      });
      const stores = await openStores(config);
      await stores.close();
    }

    it('creates every index once: a second migrate finds them all, and the check sees none missing', async () => {
      const again = await createMongoIndexes(admin.db);
      expect(again.created).toEqual([]);
      expect(again.existing).toContain('accounts.unique_username_key');
      expect(again.existing).toContain('authenticators.unique_credential_key');
      expect(again.existing).toContain('oidc_Interaction.by_account');
      expect(again.existing).toContain('recovery_secrets.unique_kind_hash');
      const status = await mongoIndexStatus(admin.db);
      expect(status).toMatchObject({ missing: [], different: [] });
      expect(status.refused.map((refusal) => refusal.name)).toEqual(again.refused.map((refusal) => refusal.name));
    });

    it('builds the TTL indexes where the server has them, and otherwise says which it refused, why, and what holds instead', async () => {
      const { refused } = await mongoIndexStatus(admin.db);
      const ttl = TTL_COLLECTIONS.map((collection) => `${collection}.expiry_ttl`);
      if (server!.kind === 'FerretDB') {
        // FerretDB 1.x does not implement expireAfterSeconds (FerretDB/FerretDB#2415), and refuses nothing else.
        expect(refused.map((refusal) => refusal.name).sort()).toEqual([...ttl].sort());
        for (const refusal of refused) {
          expect(refusal.reason).toMatch(new RegExp(`^${server!.label}: .*expireAfterSeconds.*not implemented`));
          expect(refusal.fallback).toMatch(/compare expiresAt with the clock.* every 60 s$/);
        }
        expect((await collectionsWithoutTtl(admin.db)).sort()).toEqual([...TTL_COLLECTIONS].sort());
      } else {
        expect(refused).toEqual([]);
        for (const collection of TTL_COLLECTIONS) {
          expect(await admin.db.collection(collection).listIndexes().toArray(), collection).toContainEqual(
            expect.objectContaining({ name: 'expiry_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }),
          );
        }
        expect(await collectionsWithoutTtl(admin.db)).toEqual([]);
      }
    });

    it('reports a missing index, and a migrate restores it', async () => {
      await admin.db.collection('oidc_AuthorizationCode').dropIndex('by_grant');
      expect((await mongoIndexStatus(admin.db)).missing).toEqual(['oidc_AuthorizationCode.by_grant']);
      expect((await createMongoIndexes(admin.db)).created).toEqual(['oidc_AuthorizationCode.by_grant']);
    });

    it('makes a production start refuse a database without them, naming db migrate', async () => {
      const empty = `${dbName}_empty`;
      try {
        await expect(productionStart(empty)).rejects.toThrow(/lacks indexes the provider relies on \(.*accounts\.unique_username_key.*\).*db migrate/);
      } finally {
        await admin.db.client.db(empty).dropDatabase();
      }
    });

    it('lets production start after a migrate, whatever the server refused, but not while an index it can build is missing', async () => {
      await productionStart(dbName);
      await admin.db.collection('oidc_RefreshToken').dropIndex('by_account');
      await expect(productionStart(dbName)).rejects.toThrow(/lacks indexes the provider relies on \(oidc_RefreshToken\.by_account\)/);
      await createMongoIndexes(admin.db);
      await productionStart(dbName);
    });

    it('tries an index refused by another server again (after an upgrade), and accepts a refusal only from this one', async () => {
      const name = 'attempts.expiry_ttl';
      const refusals = admin.db.collection<{ _id: string; server: string; reason: string; at: Date }>(INDEX_REFUSALS);
      if (server!.kind === 'MongoDB') await admin.db.collection('attempts').dropIndex('expiry_ttl');
      await refusals.replaceOne({ _id: name }, { server: 'FerretDB v0.0.1', reason: 'FerretDB v0.0.1: not implemented', at: new Date() }, { upsert: true });
      expect((await mongoIndexStatus(admin.db)).missing).toEqual([name]);
      await expect(productionStart(dbName)).rejects.toThrow(/attempts\.expiry_ttl/);

      const again = await createMongoIndexes(admin.db);
      if (server!.kind === 'FerretDB') {
        expect(again.refused.map((refusal) => refusal.name)).toContain(name);
        expect(await refusals.findOne({ _id: name })).toMatchObject({ server: server!.label });
      } else {
        expect(again.created).toEqual([name]);
        expect(await refusals.findOne({ _id: name })).toBeNull();
      }
      expect((await mongoIndexStatus(admin.db)).missing).toEqual([]);
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

    it('deletes expired documents on an interval where the server refused the TTL indexes, and only expired ones', async () => {
      const stores = await openMongoStores({ uri: uri!, dbName, expiryPurgeIntervalMs: 100 });
      try {
        const withoutTtl = await collectionsWithoutTtl(stores.db);
        const past = new Date(Date.now() - 1000);
        const future = new Date(Date.now() + 3_600_000);
        for (const collection of TTL_COLLECTIONS) {
          await stores.db
            .collection<{ _id: string; expiresAt?: Date }>(collection)
            .insertMany([{ _id: 'purge-expired', expiresAt: past }, { _id: 'purge-live', expiresAt: future }, { _id: 'purge-forever' }]);
        }
        const left = async (id: string) =>
          (await Promise.all(withoutTtl.map(async (collection) => ((await stores.db.collection<{ _id: string }>(collection).findOne({ _id: id })) ? [collection] : [])))).flat();
        // The timer's rounds (every 100 ms here), not a round run by the test.
        const deadline = Date.now() + 10_000;
        while ((await left('purge-expired')).length > 0 && Date.now() < deadline) await sleep(100);
        expect(await left('purge-expired')).toEqual([]);
        expect(await left('purge-live')).toEqual(withoutTtl);
        expect(await left('purge-forever')).toEqual(withoutTtl);
        // Where the TTL indexes exist (MongoDB) the purge has nothing to do: the TTL monitor deletes within 60 s.
        expect(await stores.purgeExpired()).toEqual(withoutTtl);
        if (server!.kind === 'FerretDB') expect(withoutTtl.length).toBe(TTL_COLLECTIONS.length);
      } finally {
        await stores.close();
        await Promise.all(TTL_COLLECTIONS.map((collection) => admin.db.collection<{ _id: string }>(collection).deleteMany({ _id: /^purge-/ })));
      }
    });
  });
});
