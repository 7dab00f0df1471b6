// The shared replay store the README shows for MongoDB, run against a real MongoDB-protocol server when MONGODB_URI is
// set (FerretDB in CI): one use passes, a second and every concurrent one do not, an expired entry makes room.
import { randomBytes } from 'node:crypto';
import { MongoClient, type Collection } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type ReplayStore } from '../../resource-server/index.ts';
import { accessToken, AUDIENCE, fakeProvider, testKey, type FakeProvider, type TestKey } from './fixtures.ts';

const uri = process.env.MONGODB_URI;
if (!uri) console.warn('MONGODB_URI not set: the MongoDB replay store example is not run (docs/testing.md says how to run it against FerretDB)');

interface UsedEntry {
  _id: string;
  expiresAt: Date;
}

/** Exactly the README's example (resource-server/README.md, "Several API instances"). */
function mongoReplayStore(used: Collection<UsedEntry>): ReplayStore {
  return {
    async consume(key, expiresAt) {
      try {
        await used.updateOne({ _id: key, expiresAt: { $lte: new Date() } }, { $set: { expiresAt: new Date(expiresAt * 1000) } }, { upsert: true });
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === 11000) return false;
        throw error;
      }
    },
  };
}

describe.skipIf(!uri)('the README MongoDB replay store', () => {
  const dbName = `stepup_rs_replay_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let client: MongoClient;
  let used: Collection<UsedEntry>;
  let store: ReplayStore;
  let provider: FakeProvider;
  let key: TestKey;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    client = await MongoClient.connect(uri!, { serverSelectionTimeoutMS: 10_000 });
    used = client.db(dbName).collection<UsedEntry>('used_tokens');
    // FerretDB 1.x has no TTL indexes: the store is correct without one (expired entries are replaced), only not tidied.
    await used.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }).catch((error: unknown) => {
      if (!/expireAfterSeconds.*not implemented/.test(String(error))) throw error;
    });
    store = mongoReplayStore(used);
    key = await testKey('k1');
    provider = await fakeProvider([key]);
  });
  afterAll(async () => {
    await client?.db(dbName).dropDatabase();
    await client?.close();
    await provider?.close();
  });

  it('records a key once: the second consume answers false', async () => {
    expect(await store.consume('at:jti:one', now() + 60)).toBe(true);
    expect(await store.consume('at:jti:one', now() + 60)).toBe(false);
  });

  it('answers true to exactly one of ten concurrent consumes of one key', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => store.consume('at:jti:race', now() + 60)));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('records a key again once its entry has expired, before the TTL monitor removed it', async () => {
    await used.insertOne({ _id: 'at:jti:old', expiresAt: new Date(Date.now() - 1000) });
    expect(await store.consume('at:jti:old', now() + 60)).toBe(true);
    expect(await store.consume('at:jti:old', now() + 60)).toBe(false);
  });

  it('lets one of two guards (two API instances) sharing it accept a single-use token, once, even at the same time', async () => {
    const guards = [0, 1].map(() => createGuard({ issuer: provider.issuer, audience: AUDIENCE, replayStore: store }));
    const token = await accessToken({ key, issuer: provider.issuer, claims: { jti: `shared-${randomBytes(4).toString('hex')}` } });
    const results = await Promise.all([...guards, ...guards].map((guard) => guard.check(`Bearer ${token}`, { singleUse: true })));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok).map((result) => !result.ok && result.error.code)).toEqual(Array(3).fill('token_already_used'));
  });
});
