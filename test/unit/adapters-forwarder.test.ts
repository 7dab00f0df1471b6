// The one Adapter forwarder and the store-call wrapper the engines and the provider's edge build on: every Adapter
// method reaches the model's adapter with its arguments, each call passes `around` with its model and method, and every
// store (one added to Stores later too) has its calls wrapped, driver errors mapped to StoreError.
import Database from 'better-sqlite3';
import type { Adapter } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { forwardingAdapterClass } from '../../adapters/adapter-forwarder.ts';
import { oidcAdapterClass } from '../../adapters/client-adapter.ts';
import { sqliteStoreError } from '../../adapters/sqlite/errors.ts';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { mappingErrors, wrapStoreCalls } from '../../adapters/store-calls.ts';
import type { ClientStore, Stores } from '../../adapters/types.ts';

function recordingAdapter(model: string, calls: unknown[][]): Adapter {
  const record =
    (method: string) =>
    async (...args: unknown[]): Promise<undefined> => {
      calls.push([model, method, ...args]);
      return undefined;
    };
  return {
    upsert: record('upsert'),
    find: async (...args: unknown[]) => {
      calls.push([model, 'find', ...args]);
      return { model };
    },
    findByUid: record('findByUid'),
    findByUserCode: record('findByUserCode'),
    consume: record('consume'),
    destroy: record('destroy'),
    revokeByGrantId: record('revokeByGrantId'),
  };
}

/** The driver's own error for a locked database, as better-sqlite3 raises it. */
const busyError = () => new Database.SqliteError('database is locked', 'SQLITE_BUSY');

describe('forwardingAdapterClass', () => {
  it('forwards each of the seven methods with its arguments and result, each call through around with model and method', async () => {
    const calls: unknown[][] = [];
    const seen: string[] = [];
    const Forwarding = forwardingAdapterClass(
      (model) => recordingAdapter(model, calls),
      (model, method, call) => {
        seen.push(`${model}.${method}`);
        return call();
      },
    );
    const adapter = new Forwarding('AccessToken');
    await adapter.upsert('id-1', { grantId: 'g' }, 60);
    expect(await adapter.find('id-1')).toEqual({ model: 'AccessToken' });
    await adapter.findByUid('uid-1');
    await adapter.findByUserCode('code-1');
    await adapter.consume('id-1');
    await adapter.destroy('id-1');
    await adapter.revokeByGrantId('g');
    expect(calls).toEqual([
      ['AccessToken', 'upsert', 'id-1', { grantId: 'g' }, 60],
      ['AccessToken', 'find', 'id-1'],
      ['AccessToken', 'findByUid', 'uid-1'],
      ['AccessToken', 'findByUserCode', 'code-1'],
      ['AccessToken', 'consume', 'id-1'],
      ['AccessToken', 'destroy', 'id-1'],
      ['AccessToken', 'revokeByGrantId', 'g'],
    ]);
    expect(seen).toEqual(['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId'].map((method) => `AccessToken.${method}`));
  });

  it('sends the Client model to the client store and every other model to the engine, both through around', async () => {
    const clients: ClientStore = { upsert: async () => {}, get: async (id) => ({ client_id: id }), list: async () => [], remove: async () => true };
    const calls: unknown[][] = [];
    const seen: string[] = [];
    const OidcAdapter = oidcAdapterClass(
      clients,
      (model) => recordingAdapter(model, calls),
      (model, method, call) => {
        seen.push(`${model}.${method}`);
        return call();
      },
    );
    expect(await new OidcAdapter('Client').find('rp-1')).toEqual({ client_id: 'rp-1' });
    expect(await new OidcAdapter('Session').find('s-1')).toEqual({ model: 'Session' });
    expect(calls).toEqual([['Session', 'find', 's-1']]);
    expect(seen).toEqual(['Client.find', 'Session.find']);
  });
});

describe('wrapStoreCalls with an engine mapping', () => {
  it('maps a driver error from any store, one added later included, and leaves other errors and results alone', async () => {
    const busy = busyError();
    const around = mappingErrors(sqliteStoreError);
    const failing = { count: async () => 3, fail: async () => Promise.reject(busy), bug: async () => Promise.reject(new TypeError('bug')) };
    const stores = wrapStoreCalls({ ...openSqliteStores({ file: ':memory:' }), later: failing } as unknown as Stores, around.store) as unknown as Stores & { later: typeof failing };
    expect(await stores.later.count()).toBe(3);
    await expect(stores.later.fail()).rejects.toMatchObject({ name: 'StoreError', code: 'unavailable', cause: busy });
    await expect(stores.later.bug()).rejects.toThrow(TypeError);
    await stores.close();
  });

  it('maps the errors of the engine stores and of its Adapter calls', async () => {
    const stores = openSqliteStores({ file: ':memory:' });
    const busy = busyError();
    stores.accounts.list = async () => Promise.reject(busy);
    await expect(stores.accounts.list()).rejects.toMatchObject({ name: 'StoreError', code: 'unavailable', cause: busy });
    await stores.close();
    // A closed database is a bug of the caller, not an outage: it is not mapped.
    await expect(new stores.OidcAdapter('Session').find('s-1')).rejects.toThrow(TypeError);
  });
});
