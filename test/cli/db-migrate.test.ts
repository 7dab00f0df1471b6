// `db migrate` and `db status` on the embedded store, on MongoDB (MONGODB_URI), the storage settings, and MongoDB that
// cannot be reached.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../adapters/sqlite/schema.ts';
import { openMongoStores, serverIdentity } from '../../adapters/mongodb/index.ts';
import { MONGO_INDEXES } from '../../adapters/mongodb/indexes.ts';
import { loadConfig } from '../../config/index.ts';
import { databaseStatus, migrateDatabase } from '../../cli/db-commands.ts';
import { CliError } from '../../cli/errors.ts';
import { openStores } from '../../server/storage.ts';
import { freePort } from '../multi-instance/instance.ts';

const root = mkdtempSync(join(tmpdir(), 'stepup-db-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const testConfig = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'test', DATA_DIR: join(root, Math.random().toString(36).slice(2)), ...env });

describe('db migrate and db status on SQLite', () => {
  it('reports every schema version as pending on a new data directory, without creating the database', async () => {
    const config = await testConfig();
    const lines: string[] = [];
    const error = await databaseStatus(config, (line) => lines.push(line)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ message: expect.stringMatching(/db migrate/) });
    expect(lines[0]).toBe(`SQLite ${join(config.dataDir, 'stepup.sqlite')}: 0 present, ${MIGRATIONS.length} pending, 0 conflicting`);
    expect(lines.slice(1)).toEqual(MIGRATIONS.map((_, index) => `  missing     schema version ${index + 1}`));
    expect(existsSync(join(config.dataDir, 'stepup.sqlite'))).toBe(false);
  });

  it('applies the pending versions once, then finds everything in place', async () => {
    const config = await testConfig();
    const first: string[] = [];
    await migrateDatabase(config, (line) => first.push(line));
    expect(first[0]).toMatch(new RegExp(`: ${MIGRATIONS.length} applied, 0 already present$`));
    expect(first.slice(1)).toEqual(MIGRATIONS.map((_, index) => `  + schema version ${index + 1}`));

    const second: string[] = [];
    await migrateDatabase(config, (line) => second.push(line));
    expect(second).toEqual([`SQLite ${join(config.dataDir, 'stepup.sqlite')}: 0 applied, ${MIGRATIONS.length} already present`]);

    const status: string[] = [];
    await databaseStatus(config, (line) => status.push(line));
    expect(status).toEqual([`SQLite ${join(config.dataDir, 'stepup.sqlite')}: ${MIGRATIONS.length} present, 0 pending, 0 conflicting`]);
  });
});

const MONGODB_URI = process.env.MONGODB_URI;
if (!MONGODB_URI) console.warn('MONGODB_URI not set: db migrate on MongoDB skipped (docs/testing.md says how to run it)');

describe.skipIf(!MONGODB_URI)(MONGODB_URI ? 'db migrate and db status on MongoDB' : 'MONGODB_URI not set: db migrate on MongoDB skipped', () => {
  const dbName = `stepup_cli_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const total = [...MONGO_INDEXES.values()].reduce((sum, specs) => sum + specs.length, 0);
  afterAll(async () => {
    const stores = await openMongoStores({ uri: MONGODB_URI!, dbName });
    await stores.db.dropDatabase();
    await stores.close();
  });

  it('creates every index the server builds, names each it refused with the reason and what holds instead, and then reports the database up to date', async () => {
    const config = await testConfig({ MONGODB_URI: MONGODB_URI!, MONGODB_DB: dbName });
    const stores = await openMongoStores({ uri: MONGODB_URI!, dbName });
    const server = await serverIdentity(stores.db);
    await stores.close();
    // FerretDB 1.x has no TTL indexes (FerretDB/FerretDB#2415); MongoDB builds them all.
    const ttl = [...MONGO_INDEXES].filter(([, specs]) => specs.some((spec) => spec.expireAfterSeconds !== undefined)).map(([name]) => `${name}.expiry_ttl`);
    const refused = server.kind === 'FerretDB' ? ttl : [];

    const status: string[] = [];
    const error = await databaseStatus(config, (line) => status.push(line)).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: expect.stringMatching(/db migrate/) });
    expect(status[0]).toMatch(new RegExp(`database ${dbName}: 0 present, ${total} pending, 0 conflicting$`));

    const migrate: string[] = [];
    await migrateDatabase(config, (line) => migrate.push(line));
    const refusedNote = refused.length > 0 ? `, ${refused.length} refused by the server` : '';
    expect(migrate[0]).toMatch(new RegExp(`database ${dbName}: ${total - refused.length} applied, 0 already present${refusedNote}$`));
    expect(migrate).toContain('  + accounts.unique_username_key');
    expect(migrate).toContain('  + authenticators.unique_credential_key');
    for (const name of refused) {
      expect(migrate).toContainEqual(expect.stringMatching(new RegExp(`^  refused     ${name} \\(${server.label}: .*expireAfterSeconds.*not implemented.*\\)$`)));
    }
    if (refused.length > 0) expect(migrate.at(-1)).toMatch(/^ {2}instead: {4}nothing relies on when expired documents go .* deletes them every 60 s$/);

    const after: string[] = [];
    await databaseStatus(config, (line) => after.push(line));
    expect(after[0]).toMatch(new RegExp(`database ${dbName}: ${total - refused.length} present, 0 pending, 0 conflicting${refusedNote}$`));
    expect(after.filter((line) => line.startsWith('  refused'))).toHaveLength(refused.length);
  });
});

describe('storage settings', () => {
  it('use SQLite under DATA_DIR unless MONGODB_URI is set, then MONGODB_DB (default stepup)', async () => {
    const sqlite = await testConfig();
    expect(sqlite.storage).toEqual({ kind: 'sqlite', file: join(sqlite.dataDir, 'stepup.sqlite') });
    expect((await testConfig({ MONGODB_URI: 'mongodb://db.internal:27017/?replicaSet=rs0' })).storage).toEqual({
      kind: 'mongodb',
      uri: 'mongodb://db.internal:27017/?replicaSet=rs0',
      dbName: 'stepup',
    });
    expect((await testConfig({ MONGODB_URI: 'mongodb+srv://cluster.example.net', MONGODB_DB: 'idp_prod' })).storage).toMatchObject({ dbName: 'idp_prod' });
    expect((await testConfig({ MONGODB_URI: '' })).storage.kind).toBe('sqlite');
  });

  it.each([
    [{ MONGODB_URI: 'postgres://db.internal' }, /MONGODB_URI: must be a mongodb:\/\/ or mongodb\+srv:\/\//],
    [{ MONGODB_URI: 'mongodb://h', MONGODB_DB: 'a.b' }, /MONGODB_DB: must be a MongoDB database name/],
    [{ MONGODB_DB: 'stepup' }, /MONGODB_DB is set but MONGODB_URI is not/],
  ])('refuse %o, naming the setting', async (env, message) => {
    await expect(testConfig(env)).rejects.toThrow(message);
  });
});

describe('MongoDB that cannot be reached', () => {
  it('fails db migrate and the start quickly with a clear message that hides the password', async () => {
    const uri = `mongodb://operator:s3cret@127.0.0.1:${await freePort()}/?serverSelectionTimeoutMS=300`;
    const config = await testConfig({ MONGODB_URI: uri });
    for (const attempt of [() => migrateDatabase(config, () => {}), () => openStores(config)]) {
      const started = Date.now();
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: 'StoreError', code: 'unavailable', message: expect.stringMatching(/cannot connect to MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1/) });
      expect((error as Error).message).not.toContain('s3cret');
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });
});
