// The stores at the provider's edge: which failures mean "storage unavailable" (real driver errors, as each engine maps
// them to StoreError), and what they become.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mongoStoreError } from '../../adapters/mongodb/errors.ts';
import { openMongoStores } from '../../adapters/mongodb/index.ts';
import { sqliteStoreError } from '../../adapters/sqlite/errors.ts';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { StoreError, type Stores } from '../../adapters/types.ts';
import { StorageUnavailableError, guardStores, isStorageFailure } from '../../server/guarded-stores.ts';
import { freePort } from '../multi-instance/instance.ts';

const root = mkdtempSync(join(tmpdir(), 'stepup-guard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

function sqliteFile(name: string): string {
  const file = join(root, `${name}.sqlite`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)');
  db.close();
  return file;
}

describe("isStorageFailure, of what the engines make of their drivers' errors", () => {
  it('recognises a locked SQLite database (SQLITE_BUSY) and a read-only one (SQLITE_READONLY)', () => {
    const file = sqliteFile('locked');
    const holder = new Database(file);
    const writer = new Database(file, { timeout: 0 });
    holder.exec('BEGIN EXCLUSIVE');
    const busy = thrownBy(() => writer.prepare("INSERT INTO t VALUES ('a')").run());
    holder.exec('ROLLBACK');
    expect(busy).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(sqliteStoreError(busy)).toMatchObject({ name: 'StoreError', code: 'unavailable', cause: busy });
    expect(isStorageFailure(sqliteStoreError(busy))).toBe(true);

    const reader = new Database(file, { readonly: true });
    const readonly = thrownBy(() => reader.prepare("INSERT INTO t VALUES ('b')").run());
    expect(readonly).toMatchObject({ code: 'SQLITE_READONLY' });
    expect(isStorageFailure(sqliteStoreError(readonly))).toBe(true);
    // server/ knows no driver: a raw driver error (one no engine mapped) is not recognised.
    expect(isStorageFailure(readonly)).toBe(false);
    for (const db of [holder, writer, reader]) db.close();
  });

  it('does not treat a constraint violation, a bug or a conflict as unavailability', () => {
    const db = new Database(sqliteFile('constraint'));
    db.prepare("INSERT INTO t VALUES ('x')").run();
    const duplicate = thrownBy(() => db.prepare("INSERT INTO t VALUES ('x')").run());
    db.close();
    expect(duplicate).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(sqliteStoreError(duplicate)).toBe(duplicate);
    expect(isStorageFailure(sqliteStoreError(duplicate))).toBe(false);
    expect(isStorageFailure(new TypeError('x is undefined'))).toBe(false);
    expect(isStorageFailure(new StoreError('conflict', 'taken'))).toBe(false);
    expect(isStorageFailure(new StoreError('unavailable', 'down'))).toBe(true);
  });

  it('recognises a MongoDB server that cannot be reached, from the real driver', async () => {
    const uri = `mongodb://127.0.0.1:${await freePort()}/?serverSelectionTimeoutMS=300`;
    const client = new MongoClient(uri);
    const selection = await rejectionOf(client.connect());
    await client.close();
    expect(selection).toMatchObject({ name: 'MongoServerSelectionError' });
    expect(mongoStoreError(selection)).toMatchObject({ name: 'StoreError', code: 'unavailable', cause: selection });
    expect(isStorageFailure(mongoStoreError(selection))).toBe(true);
    const bug = new TypeError('x is undefined');
    expect(mongoStoreError(bug)).toBe(bug);

    const opening = await rejectionOf(openMongoStores({ uri: uri.replace('127.0.0.1', 'user:secret@127.0.0.1'), dbName: 'x' }));
    expect(opening).toMatchObject({ name: 'StoreError', code: 'unavailable' });
    expect((opening as Error).message).not.toContain('secret');
    expect(isStorageFailure(opening)).toBe(true);
  });
});

describe('guardStores', () => {
  const readonlyError = (() => {
    const db = new Database(sqliteFile('readonly'), { readonly: true });
    const error = thrownBy(() => db.prepare("INSERT INTO t VALUES ('c')").run());
    db.close();
    return error;
  })();

  function failing(): Stores {
    const stores = openSqliteStores({ file: ':memory:' });
    stores.attempts.recordFailure = async () => {
      throw readonlyError;
    };
    stores.accounts.findById = async () => {
      throw new TypeError('a bug');
    };
    return stores;
  }

  it('turns a storage failure (a real SQLite error, mapped by the engine) into 503 temporarily_unavailable, and reports its cause once', async () => {
    const onFailure = vi.fn();
    const guarded = guardStores(failing(), onFailure);
    const error = await rejectionOf(guarded.attempts.recordFailure('k', 1));
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(error).toMatchObject({ status: 503, statusCode: 503, expose: true, error: 'temporarily_unavailable', message: 'temporarily_unavailable' });
    expect((error as StorageUnavailableError).error_description).not.toMatch(/SQLITE|readonly/i);
    expect(onFailure).toHaveBeenCalledOnce();
    expect(onFailure).toHaveBeenCalledWith(expect.objectContaining({ name: 'StoreError', code: 'unavailable', cause: readonlyError }));
    await guarded.close();
  });

  it('passes every other error and every result through unchanged', async () => {
    const onFailure = vi.fn();
    const guarded = guardStores(failing(), onFailure);
    await expect(guarded.accounts.findById('x')).rejects.toThrow(TypeError);
    await guarded.accounts.create({ id: 'acc-1', username: 'alice', passwordHash: 'h', createdAt: 1 });
    await expect(guarded.accounts.create({ id: 'acc-2', username: 'Alice', passwordHash: 'h', createdAt: 1 })).rejects.toMatchObject({ code: 'conflict' });
    expect(await guarded.accounts.findByUsername('ALICE')).toMatchObject({ id: 'acc-1' });
    expect(onFailure).not.toHaveBeenCalled();
    await guarded.close();
  });

  it('answers a lost consume() as oidc-provider answers a replay: invalid_grant, or invalid_request_uri for a request_uri', async () => {
    const guarded = guardStores(openSqliteStores({ file: ':memory:' }), () => {});
    const codes = new guarded.OidcAdapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await codes.consume('c1');
    expect(await rejectionOf(codes.consume('c1'))).toMatchObject({ status: 400, error: 'invalid_grant' });
    const requests = new guarded.OidcAdapter('PushedAuthorizationRequest');
    await requests.upsert('r1', {}, 60);
    await requests.consume('r1');
    expect(await rejectionOf(requests.consume('r1'))).toMatchObject({ status: 400, error: 'invalid_request_uri' });
    await guarded.close();
  });
});
