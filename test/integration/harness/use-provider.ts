// One provider per test file (or describe block): started before its tests with a relying party registered, closed after.
import { afterAll, beforeAll } from 'vitest';
import { startProvider, type ProviderOptions, type RunningProvider } from './provider.ts';
import { relyingParty, type RelyingParty } from './rp.ts';

export interface ProviderFixture {
  provider: RunningProvider;
  rp: RelyingParty;
}

/**
 * Registers beforeAll/afterAll hooks that start the provider with `options` and register a relying party with
 * `rpMetadata` on it, then close it. The handles it returns forward to the running ones, so a file declares them once at
 * the top: `const { provider, rp } = useProvider({ hostname: 'localhost' });`. Hooks of the file registered after this
 * call run after the provider has started.
 */
export function useProvider(options: ProviderOptions = {}, rpMetadata: Record<string, unknown> = {}): ProviderFixture {
  let provider: RunningProvider | undefined;
  let rp: RelyingParty | undefined;
  beforeAll(async () => {
    provider = await startProvider(options);
    rp = await relyingParty(provider, rpMetadata);
  });
  // Closes the provider (and removes its data folder) even when registering the relying party failed.
  afterAll(async () => {
    await provider?.close();
    provider = undefined;
    rp = undefined;
  });
  return { provider: handle('provider', () => provider), rp: handle('rp', () => rp) };
}

/** Forwards every property read to `current()`, which exists only between the hooks above. */
function handle<T extends object>(name: string, current: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_target, property) {
      const target = current();
      // Not a promise; and printing a handle (vitest, util.inspect) must not throw.
      if (property === 'then' || (typeof property === 'symbol' && !target)) return undefined;
      if (!target) throw new Error(`useProvider's ${name} was read outside the tests (before its beforeAll or after its afterAll): ${String(property)}`);
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
