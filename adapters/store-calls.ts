// Passes every call of every store through one function: each engine maps its driver's errors to StoreError there
// (adapters/sqlite/errors.ts, adapters/mongodb/errors.ts), and the provider's edge turns StoreError('unavailable') into
// its OAuth error (server/guarded-stores.ts). Stores added to Stores later are covered without a change here.
import type { AroundAdapterCall } from './adapter-forwarder.ts';
import type { Stores } from './types.ts';

/** Runs one store call: returns what the call returns, or throws (its own error, or another). */
export type AroundStoreCall = <T>(call: () => Promise<T>) => Promise<T>;

/** Every method of every store goes through `around`; OidcAdapter and close are left to the caller. */
export function wrapStoreCalls(stores: Stores, around: AroundStoreCall): Stores {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(stores)) {
    wrapped[name] = typeof value === 'object' && value !== null ? wrapMethods(value, around) : value;
  }
  return wrapped as unknown as Stores;
}

/** Store calls whose errors are replaced with what `map` makes of them, and the same for the Adapter's calls. */
export function mappingErrors(map: (error: unknown) => unknown): { store: AroundStoreCall; adapter: AroundAdapterCall } {
  const store: AroundStoreCall = async (call) => {
    try {
      return await call();
    } catch (error) {
      throw map(error);
    }
  };
  return { store, adapter: (_model, _method, call) => store(call) };
}

/** A proxy, so that a method replaced on the store later (tests inject failures so) is wrapped too. */
function wrapMethods<T extends object>(store: T, around: AroundStoreCall): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => around(async () => value.apply(target, args) as unknown);
    },
  });
}
